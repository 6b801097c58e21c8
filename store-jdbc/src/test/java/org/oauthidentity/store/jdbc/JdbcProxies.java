package org.oauthidentity.store.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/** A JDBC interface wrapped by a call handler, for the tests that watch what the store sends to the database. */
final class JdbcProxies {
    private JdbcProxies() {
    }

    /** What the wrapper does with one call; {@code method.invoke(target, args)} passes it on. */
    interface Call {
        Object invoke(Method method, Object[] args) throws Exception;
    }

    static <T> T proxy(Class<T> type, T target, Call call) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, method, args) -> {
            try {
                return call.invoke(method, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }));
    }
}
