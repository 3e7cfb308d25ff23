package io.tributary.interop;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.auth.SaslExtensionsCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerTokenCallback;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka's Java client over a secured listener: the security settings
 * (SASL_SSL with OAUTHBEARER, SSL with a client certificate, ...) come
 * from a properties file the caller writes. With "--expect ok" it describes
 * the cluster with Admin, produces N records (acks=all) to a topic and
 * reads them back with an assign()-based consumer; with "--expect
 * auth-failure" the Admin call must fail with SaslAuthenticationException
 * (an expired or foreign token). A "tributary.oauth.allowed.urls" entry
 * in the file becomes the org.apache.kafka.sasl.oauthbearer.allowed.urls
 * system property (Kafka 4 fetches tokens only from URLs it allows).
 *
 * <p>Usage: {@code SecurityCheck BOOTSTRAP PROPS TOPIC --expect ok|auth-failure|login-failure [--records N]}.
 * Exit 0 and one "OK" line on success; exit 1 and a "FAIL:" line otherwise.
 */
public final class SecurityCheck {

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], propsFile = args[1], topic = args[2];
        String expect = "ok";
        int records = 20;
        for (int i = 3; i < args.length; i++) {
            switch (args[i]) {
                case "--expect" -> expect = args[++i];
                case "--records" -> records = Integer.parseInt(args[++i]);
                default -> fail("unknown argument " + args[i]);
            }
        }
        Properties base = new Properties();
        try (InputStream in = new FileInputStream(propsFile)) {
            base.load(in);
        }
        base.put("bootstrap.servers", bootstrap);
        // Kafka 4 fetches OAuth tokens only from URLs this system property
        // allows; the caller names them in the properties file.
        Object allowed = base.remove("tributary.oauth.allowed.urls");
        if (allowed != null) {
            System.setProperty("org.apache.kafka.sasl.oauthbearer.allowed.urls", allowed.toString());
        }
        if (expect.equals("auth-failure")) {
            expectAuthFailure(base);
            return;
        }
        if (expect.equals("login-failure")) {
            expectLoginFailure(base);
            return;
        }
        try (Admin admin = Admin.create(base)) {
            int brokers = admin.describeCluster().nodes().get(60, TimeUnit.SECONDS).size();
            if (brokers < 1) {
                fail("describeCluster: no brokers");
            }
        }
        Properties pp = (Properties) base.clone();
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pp)) {
            for (int i = 0; i < records; i++) {
                p.send(new ProducerRecord<>(topic, 0, null, ("sec-" + i).getBytes(StandardCharsets.UTF_8))).get(60, TimeUnit.SECONDS);
            }
        }
        Properties cp = (Properties) base.clone();
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        int got = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cp)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (got < records && System.nanoTime() < deadline) {
                ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(500));
                for (var r : rs) {
                    String want = "sec-" + got;
                    String v = new String(r.value(), StandardCharsets.UTF_8);
                    if (!v.equals(want)) {
                        fail("offset " + r.offset() + ": " + v + ", want " + want);
                    }
                    got++;
                }
            }
        }
        if (got != records) {
            fail("consumed " + got + " of " + records);
        }
        System.out.println("OK produced=" + records + " consumed=" + got);
    }

    static void expectAuthFailure(Properties base) throws Exception {
        try (Admin admin = Admin.create(base)) {
            admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
            fail("describeCluster succeeded; want SaslAuthenticationException");
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof SaslAuthenticationException)) {
                fail("describeCluster: " + e.getCause() + "; want SaslAuthenticationException");
            }
            System.out.println("OK auth-failure: " + e.getCause().getMessage());
        }
    }

    /** The client cannot even log in (its token request is refused). */
    static void expectLoginFailure(Properties base) {
        try (Admin admin = Admin.create(base)) {
            admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
            fail("describeCluster succeeded; want a failed login");
        } catch (Exception e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof javax.security.auth.login.LoginException) {
                    System.out.println("OK login-failure: " + c.getMessage());
                    return;
                }
            }
            fail("want a LoginException, got " + e);
        }
    }

    static void fail(String msg) {
        System.out.println("FAIL: " + msg);
        System.exit(1);
    }

    /**
     * An OAUTHBEARER login callback handler that hands the client a token
     * read from a file (the JAAS option tokenFile): a JWT some identity
     * provider issued. Its principal and lifetime come from the token's
     * "sub" and "exp" claims. Kafka's own handlers either make unsecured
     * tokens or fetch them from an OAuth token endpoint; the test signs its
     * own.
     */
    public static final class StaticTokenLogin implements AuthenticateCallbackHandler {
        private Path tokenFile;

        @Override
        public void configure(Map<String, ?> configs, String mechanism, List<AppConfigurationEntry> jaas) {
            Object f = jaas.get(0).getOptions().get("tokenFile");
            if (f == null) {
                throw new IllegalArgumentException("JAAS option tokenFile is required");
            }
            tokenFile = Path.of(f.toString());
        }

        @Override
        public void handle(Callback[] callbacks) throws IOException, UnsupportedCallbackException {
            for (Callback cb : callbacks) {
                if (cb instanceof OAuthBearerTokenCallback tc) {
                    tc.token(read());
                } else if (!(cb instanceof SaslExtensionsCallback)) {
                    throw new UnsupportedCallbackException(cb);
                }
            }
        }

        private OAuthBearerToken read() throws IOException {
            String jwt = Files.readString(tokenFile).trim();
            String[] parts = jwt.split("\\.");
            String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
            String sub = claim(payload, "\"sub\"\\s*:\\s*\"([^\"]*)\"");
            long exp = Long.parseLong(claim(payload, "\"exp\"\\s*:\\s*(\\d+)"));
            return new OAuthBearerToken() {
                public String value() { return jwt; }
                public Set<String> scope() { return Set.of(); }
                public long lifetimeMs() { return exp * 1000; }
                public String principalName() { return sub; }
                public Long startTimeMs() { return null; }
            };
        }

        private static String claim(String payload, String re) {
            Matcher m = Pattern.compile(re).matcher(payload);
            if (!m.find()) {
                throw new IllegalArgumentException("token has no claim matching " + re);
            }
            return m.group(1);
        }

        @Override
        public void close() {
        }
    }
}
