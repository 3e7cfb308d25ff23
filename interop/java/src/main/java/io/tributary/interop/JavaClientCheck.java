package io.tributary.interop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Drives Apache Kafka's Java client (kafka-clients), unchanged, against a
 * Tributary broker: Admin (cluster, topics, configs, partitions, offsets), an
 * idempotent acks=all KafkaProducer with every compression codec, and a
 * group-less KafkaConsumer (assign + seek) that reads every record back and
 * checks it against what the producer was told; then group configs through
 * Admin (as kafka-configs --entity-type groups) and a transactional producer,
 * which must be refused at once (transactions are not supported yet).
 *
 * <p>Usage: {@code JavaClientCheck BOOTSTRAP [--records N] [--codecs none,gzip,...]
 * [--topic-prefix P] [--timeout-sec S]}. Exit 0 and a one-line "OK" summary on
 * success; exit 1 and a "FAIL:" line naming the step and the mismatch otherwise.
 */
public final class JavaClientCheck {

    static final List<String> ALL_CODECS = List.of("none", "gzip", "snappy", "lz4", "zstd");
    static final int INITIAL_PARTITIONS = 3;
    static final int FINAL_PARTITIONS = 4;

    /** A check that did not hold: the message says what was expected and what came back. */
    static final class CheckFailed extends RuntimeException {
        CheckFailed(String msg) {
            super(msg);
        }
    }

    static void check(boolean ok, String fmt, Object... args) {
        if (!ok) {
            throw new CheckFailed(String.format(Locale.ROOT, fmt, args));
        }
    }

    /** One record as sent, and where the producer was told it landed. */
    record Sent(String codec, int index, byte[] key, byte[] value, Map<String, String> headers, long timestamp,
                int partition, long offset) {
        String describe() {
            return String.format(Locale.ROOT, "%s record #%d (key %s) at partition %d offset %d", codec, index,
                    new String(key, StandardCharsets.UTF_8), partition, offset);
        }
    }

    final String bootstrap;
    final int records;
    final List<String> codecs;
    final String topic;
    final String scratchTopic;
    final Duration timeout;
    final long deadlineNanos;
    String step = "start";

    JavaClientCheck(String bootstrap, int records, List<String> codecs, String prefix, Duration timeout) {
        this.bootstrap = bootstrap;
        this.records = records;
        this.codecs = codecs;
        String suffix = Long.toString(System.currentTimeMillis(), 36) + "-" + Integer.toString(new Random().nextInt(1 << 20), 36);
        this.topic = prefix + "-" + suffix;
        this.scratchTopic = prefix + "-scratch-" + suffix;
        this.timeout = timeout;
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
    }

    public static void main(String[] args) {
        String bootstrap = null;
        int records = 400;
        List<String> codecs = ALL_CODECS;
        String prefix = "java-interop";
        int timeoutSec = 180;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--records" -> records = Integer.parseInt(args[++i]);
                    case "--codecs" -> codecs = Arrays.asList(args[++i].split(","));
                    case "--topic-prefix" -> prefix = args[++i];
                    case "--timeout-sec" -> timeoutSec = Integer.parseInt(args[++i]);
                    default -> {
                        if (args[i].startsWith("-") || bootstrap != null) {
                            throw new IllegalArgumentException("unexpected argument " + args[i]);
                        }
                        bootstrap = args[i];
                    }
                }
            }
            if (bootstrap == null) {
                throw new IllegalArgumentException("missing bootstrap address");
            }
            for (String c : codecs) {
                if (!ALL_CODECS.contains(c)) {
                    throw new IllegalArgumentException("unknown codec " + c);
                }
            }
            if (records < 10) {
                throw new IllegalArgumentException("--records must be at least 10");
            }
        } catch (RuntimeException e) {
            System.err.println("usage: JavaClientCheck BOOTSTRAP [--records N] [--codecs none,gzip,snappy,lz4,zstd]"
                    + " [--topic-prefix P] [--timeout-sec S]: " + e.getMessage());
            System.exit(2);
            return;
        }

        JavaClientCheck c = new JavaClientCheck(bootstrap, records, codecs, prefix, Duration.ofSeconds(timeoutSec));
        final int limitSec = timeoutSec + 30;
        long start = System.nanoTime();
        // A watchdog: a client stuck retrying must not hang the caller.
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(limitSec));
                System.err.println("FAIL: [" + c.step + "] the whole check took longer than " + limitSec + "s");
                System.err.flush();
                Runtime.getRuntime().halt(3);
            } catch (InterruptedException ignored) {
                // done
            }
        }, "watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        int code;
        try {
            String summary = c.run();
            System.out.printf(Locale.ROOT, "OK kafka-clients %s against %s: %s in %.1fs%n", clientVersion(),
                    c.bootstrap, summary, (System.nanoTime() - start) / 1e9);
            code = 0;
        } catch (CheckFailed e) {
            System.err.println("FAIL: [" + c.step + "] " + e.getMessage());
            code = 1;
        } catch (Throwable e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            System.err.println("FAIL: [" + c.step + "] unexpected " + cause);
            cause.printStackTrace();
            code = 1;
        }
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    void step(String name) {
        step = name;
        check(System.nanoTime() < deadlineNanos, "out of time (%s) before this step", timeout);
        System.out.println("step: " + name);
    }

    static void info(String fmt, Object... args) {
        System.out.println("  " + String.format(Locale.ROOT, fmt, args));
    }

    /** Waits for f within the remaining time; failures surface as their cause. */
    <T> T get(Future<T> f) throws Exception {
        long left = Math.max(1, deadlineNanos - System.nanoTime());
        try {
            return f.get(left, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        } catch (TimeoutException e) {
            throw new CheckFailed("no answer within the time left (" + timeout + ")");
        }
    }

    Properties common(String clientId) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
        return p;
    }

    String run() throws Exception {
        Map<Integer, List<Sent>> byPartition = new TreeMap<>();
        Uuid topicId;
        int total = 0;
        Properties ap = common("tributary-interop-admin");
        ap.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "60000");
        try (Admin admin = Admin.create(ap)) {
            topicId = adminChecks(admin);

            long base = System.currentTimeMillis() - 60_000;
            int seq = 0;
            for (String codec : codecs) {
                step("produce " + codec);
                List<Sent> sent = produce(codec, base + seq);
                seq += sent.size();
                for (Sent s : sent) {
                    byPartition.computeIfAbsent(s.partition, k -> new ArrayList<>()).add(s);
                }
                total += sent.size();
            }
            for (List<Sent> l : byPartition.values()) {
                l.sort((a, b) -> Long.compare(a.offset, b.offset));
            }
            checkDenseOffsets(byPartition);

            consume(byPartition, total, "read_uncommitted", 65536);
            // Fetch limits far below one batch: the broker must still return
            // the first batch whole (KIP-74), or the consumer stalls.
            consume(byPartition, total, "read_committed", 1024);
            adminListOffsets(admin, byPartition);
            tooLarge(admin);
            deleteScratchTopic(admin);
            groupConfigs(admin);
            transactionsRefused();
        }
        return String.format(Locale.ROOT, "topic %s (id %s, %d→%d partitions), %d records (%d per codec: %s) produced"
                        + " idempotently with acks=all and read back exactly; admin, configs, list-offsets, offsetsForTimes, group configs checked; transactions refused at once",
                topic, topicId, INITIAL_PARTITIONS, FINAL_PARTITIONS, total, records, String.join("/", codecs));
    }

    // ---- Admin -----------------------------------------------------------

    Uuid adminChecks(Admin admin) throws Exception {
        step("describeCluster");
        DescribeClusterResult dc = admin.describeCluster();
        String clusterId = get(dc.clusterId());
        Collection<Node> nodes = get(dc.nodes());
        Node controller = get(dc.controller());
        check(clusterId != null && !clusterId.isEmpty(), "cluster id is empty");
        check(!nodes.isEmpty(), "no brokers listed");
        for (Node n : nodes) {
            check(n.id() >= 0 && n.host() != null && !n.host().isEmpty() && n.port() > 0, "bad broker entry %s", n);
        }
        info("cluster %s, brokers %s, controller %s", clusterId, nodes, controller);

        step("createTopics");
        NewTopic nt = new NewTopic(topic, INITIAL_PARTITIONS, (short) 1).configs(Map.of("retention.ms", "86400000"));
        CreateTopicsResult ctr = admin.createTopics(List.of(nt, new NewTopic(scratchTopic, 1, (short) 1)));
        get(ctr.all());
        Uuid topicId = get(ctr.topicId(topic));
        check(topicId != null && !Uuid.ZERO_UUID.equals(topicId), "CreateTopics returned no topic id for %s: %s", topic, topicId);
        check(get(ctr.numPartitions(topic)) == INITIAL_PARTITIONS, "CreateTopics: %d partitions, want %d",
                get(ctr.numPartitions(topic)), INITIAL_PARTITIONS);
        check(get(ctr.replicationFactor(topic)) == 1, "CreateTopics: replication factor %d, want 1", get(ctr.replicationFactor(topic)));
        Config created = get(ctr.config(topic));
        checkConfig(created, "retention.ms", "86400000", "CreateTopics response configs");
        info("created %s id %s", topic, topicId);

        step("createTopics (already exists)");
        try {
            get(admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all());
            throw new CheckFailed("creating " + topic + " a second time succeeded; want TopicExistsException");
        } catch (TopicExistsException expected) {
            info("second create: %s", expected.getClass().getSimpleName());
        }

        step("listTopics");
        Set<String> names = get(admin.listTopics().names());
        check(names.contains(topic) && names.contains(scratchTopic), "listTopics %s lacks %s or %s", names, topic, scratchTopic);

        step("describeTopics");
        describeTopic(admin, topicId, INITIAL_PARTITIONS);
        TopicDescription byId = get(admin.describeTopics(TopicCollection.ofTopicIds(List.of(topicId))).allTopicIds()).get(topicId);
        check(byId != null && topic.equals(byId.name()) && byId.partitions().size() == INITIAL_PARTITIONS,
                "describeTopics by id %s: %s", topicId, byId);

        step("describeConfigs");
        ConfigResource cr = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config cfg = describeConfigs(admin, cr);
        checkConfig(cfg, "retention.ms", "86400000", "describeConfigs");
        ConfigEntry rm = cfg.get("retention.ms");
        check(rm.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, "retention.ms source %s, want DYNAMIC_TOPIC_CONFIG", rm.source());
        ConfigEntry cp = cfg.get("cleanup.policy");
        check(cp != null && "delete".equals(cp.value()) && cp.isDefault() && cp.source() == ConfigEntry.ConfigSource.DEFAULT_CONFIG,
                "cleanup.policy: %s, want delete from DEFAULT_CONFIG", cp);
        ConfigResource br = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(nodes.iterator().next().id()));
        Config bcfg = describeConfigs(admin, br);
        check(bcfg.get("message.max.bytes") != null, "broker configs lack message.max.bytes: %s", bcfg);

        step("incrementalAlterConfigs");
        get(admin.incrementalAlterConfigs(Map.of(cr, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "172800000"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("bufstream.archive.kind", "PARQUET"), AlterConfigOp.OpType.SET)))).all());
        cfg = describeConfigs(admin, cr);
        checkConfig(cfg, "retention.ms", "172800000", "describeConfigs after incrementalAlterConfigs");
        checkConfig(cfg, "bufstream.archive.kind", "PARQUET", "describeConfigs after incrementalAlterConfigs");

        // validateOnly changes nothing; an invalid value is refused with INVALID_CONFIG.
        get(admin.incrementalAlterConfigs(Map.of(cr, List.of(
                        new AlterConfigOp(new ConfigEntry("retention.ms", "1000"), AlterConfigOp.OpType.SET))),
                new AlterConfigsOptions().validateOnly(true)).all());
        try {
            get(admin.incrementalAlterConfigs(Map.of(cr, List.of(
                    new AlterConfigOp(new ConfigEntry("retention.ms", "not-a-number"), AlterConfigOp.OpType.SET)))).all());
            throw new CheckFailed("retention.ms=not-a-number was accepted; want InvalidConfigurationException");
        } catch (InvalidConfigurationException expected) {
            info("invalid value: %s", expected.getMessage());
        }
        // An Iceberg table name that cannot work is refused here too, with a message naming the key.
        try {
            get(admin.incrementalAlterConfigs(Map.of(cr, List.of(
                    new AlterConfigOp(new ConfigEntry("bufstream.archive.iceberg.table", "not a table"), AlterConfigOp.OpType.SET)))).all());
            throw new CheckFailed("bufstream.archive.iceberg.table=not a table was accepted; want InvalidConfigurationException");
        } catch (InvalidConfigurationException expected) {
            check(expected.getMessage() != null && expected.getMessage().contains("bufstream.archive.iceberg.table"),
                    "bad table refused with message %s, want it to name bufstream.archive.iceberg.table", expected.getMessage());
            info("invalid table: %s", expected.getMessage());
        }
        // DELETE returns a key to its default.
        get(admin.incrementalAlterConfigs(Map.of(cr, List.of(
                new AlterConfigOp(new ConfigEntry("segment.ms", "3600000"), AlterConfigOp.OpType.SET)))).all());
        checkConfig(describeConfigs(admin, cr), "segment.ms", "3600000", "describeConfigs after SET segment.ms");
        get(admin.incrementalAlterConfigs(Map.of(cr, List.of(
                new AlterConfigOp(new ConfigEntry("segment.ms", ""), AlterConfigOp.OpType.DELETE)))).all());
        cfg = describeConfigs(admin, cr);
        checkConfig(cfg, "retention.ms", "172800000", "describeConfigs after validateOnly / invalid / DELETE");
        checkConfig(cfg, "bufstream.archive.kind", "PARQUET", "describeConfigs after validateOnly / invalid / DELETE");
        ConfigEntry sm = cfg.get("segment.ms");
        check(sm != null && sm.isDefault() && sm.source() == ConfigEntry.ConfigSource.DEFAULT_CONFIG,
                "segment.ms after DELETE: %s, want the default", sm);

        step("createPartitions");
        try {
            get(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(INITIAL_PARTITIONS - 1))).all());
            throw new CheckFailed("shrinking " + topic + " succeeded; want InvalidPartitionsException");
        } catch (org.apache.kafka.common.errors.InvalidPartitionsException expected) {
            info("shrink refused: %s", expected.getClass().getSimpleName());
        }
        get(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(FINAL_PARTITIONS))).all());
        describeTopic(admin, topicId, FINAL_PARTITIONS);
        info("%s now has %d partitions", topic, FINAL_PARTITIONS);
        return topicId;
    }

    void describeTopic(Admin admin, Uuid topicId, int partitions) throws Exception {
        TopicDescription td = get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
        check(td != null, "describeTopics returned nothing for %s", topic);
        check(topicId.equals(td.topicId()), "describeTopics: topic id %s, CreateTopics said %s", td.topicId(), topicId);
        check(!td.isInternal(), "describeTopics: %s is internal", topic);
        check(td.partitions().size() == partitions, "describeTopics: %d partitions, want %d", td.partitions().size(), partitions);
        for (int i = 0; i < partitions; i++) {
            TopicPartitionInfo p = td.partitions().get(i);
            check(p.partition() == i, "describeTopics: partition %d at index %d", p.partition(), i);
            check(p.leader() != null && !p.leader().isEmpty(), "describeTopics: partition %d has no leader", i);
            check(!p.replicas().isEmpty() && !p.isr().isEmpty(), "describeTopics: partition %d replicas %s isr %s", i, p.replicas(), p.isr());
        }
    }

    Config describeConfigs(Admin admin, ConfigResource cr) throws Exception {
        Config cfg = get(admin.describeConfigs(List.of(cr)).all()).get(cr);
        check(cfg != null, "describeConfigs returned nothing for %s", cr);
        return cfg;
    }

    static void checkConfig(Config cfg, String name, String want, String where) {
        ConfigEntry e = cfg.get(name);
        check(e != null, "%s: %s missing (got %s)", where, name, cfg.entries().stream().map(ConfigEntry::name).toList());
        check(want.equals(e.value()), "%s: %s=%s, want %s", where, name, e.value(), want);
    }

    /**
     * The broker refuses a batch over the topic's max.message.bytes with
     * MESSAGE_TOO_LARGE, which the producer reports as RecordTooLargeException;
     * the same idempotent producer then goes on (Kafka's client resets its
     * sequence state, KIP-360) and its next records land at offsets 0 and 1.
     */
    void tooLarge(Admin admin) throws Exception {
        step("max.message.bytes (scratch topic)");
        ConfigResource cr = new ConfigResource(ConfigResource.Type.TOPIC, scratchTopic);
        get(admin.incrementalAlterConfigs(Map.of(cr, List.of(
                new AlterConfigOp(new ConfigEntry("max.message.bytes", "2048"), AlterConfigOp.OpType.SET)))).all());
        Properties pp = common("tributary-interop-producer-too-large");
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
            byte[] big = new byte[10_000];
            new Random(1).nextBytes(big);
            try {
                RecordMetadata md = get(producer.send(new ProducerRecord<>(scratchTopic, 0, utf8("big"), big)));
                throw new CheckFailed("a 10000-byte record was accepted by a topic with max.message.bytes=2048 at " + md);
            } catch (RecordTooLargeException expected) {
                info("too large: %s", expected.getMessage());
            }
            for (int i = 0; i < 2; i++) {
                RecordMetadata md = get(producer.send(new ProducerRecord<>(scratchTopic, 0, utf8("small"), utf8("small " + i))));
                check(md.partition() == 0 && md.offset() == i, "small record %d after the refused one: %s, want %s-0@%d",
                        i, md, scratchTopic, i);
            }
        }
    }

    /**
     * Group configs (resource type GROUP), as `kafka-configs --entity-type
     * groups` sets and describes them through Admin: a SET within Kafka's
     * bounds is described back as a group config, one outside is refused.
     */
    void groupConfigs(Admin admin) throws Exception {
        step("group configs");
        String group = topic + "-group";
        ConfigResource cr = new ConfigResource(ConfigResource.Type.GROUP, group);
        get(admin.incrementalAlterConfigs(Map.of(cr, List.of(
                new AlterConfigOp(new ConfigEntry("consumer.heartbeat.interval.ms", "6000"), AlterConfigOp.OpType.SET)))).all());
        Config cfg = get(admin.describeConfigs(List.of(cr)).all()).get(cr);
        checkConfig(cfg, "consumer.heartbeat.interval.ms", "6000", "group " + group);
        checkConfig(cfg, "consumer.session.timeout.ms", "45000", "group " + group);
        check(cfg.get("consumer.heartbeat.interval.ms").source() == ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG,
                "group %s heartbeat interval source %s, want DYNAMIC_GROUP_CONFIG", group, cfg.get("consumer.heartbeat.interval.ms").source());
        try {
            get(admin.incrementalAlterConfigs(Map.of(cr, List.of(
                    new AlterConfigOp(new ConfigEntry("consumer.session.timeout.ms", "1000"), AlterConfigOp.OpType.SET)))).all());
            throw new CheckFailed("consumer.session.timeout.ms=1000 was accepted for group " + group);
        } catch (InvalidConfigurationException expected) {
            info("group config refused: %s", expected.getMessage());
        }
    }

    /**
     * Transactions are not supported yet: initTransactions must fail at once
     * with a fatal TransactionalIdAuthorizationException, not block for
     * max.block.ms retrying the coordinator lookup.
     */
    void transactionsRefused() {
        step("initTransactions (refused)");
        Properties pp = common("tributary-interop-transactional");
        pp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-txn");
        pp.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        long start = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
            producer.initTransactions();
            throw new CheckFailed("initTransactions succeeded");
        } catch (TransactionalIdAuthorizationException expected) {
            long ms = (System.nanoTime() - start) / 1_000_000;
            check(ms < 10_000, "initTransactions failed only after %d ms", ms);
            info("initTransactions refused after %d ms: %s", ms, expected.getMessage());
        }
    }

    void deleteScratchTopic(Admin admin) throws Exception {
        step("deleteTopics");
        get(admin.deleteTopics(List.of(scratchTopic)).all());
        Set<String> names = get(admin.listTopics().names());
        check(!names.contains(scratchTopic), "listTopics still has %s after deleteTopics", scratchTopic);
        try {
            get(admin.describeTopics(List.of(scratchTopic)).allTopicNames());
            throw new CheckFailed("describeTopics found deleted topic " + scratchTopic);
        } catch (UnknownTopicOrPartitionException expected) {
            info("deleted %s", scratchTopic);
        }
    }

    void adminListOffsets(Admin admin, Map<Integer, List<Sent>> byPartition) throws Exception {
        step("admin listOffsets");
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> maxTs = new HashMap<>();
        for (int p = 0; p < FINAL_PARTITIONS; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            earliest.put(tp, OffsetSpec.earliest());
            latest.put(tp, OffsetSpec.latest());
            maxTs.put(tp, OffsetSpec.maxTimestamp());
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e = get(admin.listOffsets(earliest).all());
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> l = get(admin.listOffsets(latest).all());
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> m = get(admin.listOffsets(maxTs).all());
        for (int p = 0; p < FINAL_PARTITIONS; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            List<Sent> sent = byPartition.getOrDefault(p, List.of());
            check(e.get(tp).offset() == 0, "listOffsets earliest %s = %d, want 0", tp, e.get(tp).offset());
            check(l.get(tp).offset() == sent.size(), "listOffsets latest %s = %d, want %d", tp, l.get(tp).offset(), sent.size());
            if (!sent.isEmpty()) {
                // Timestamps rise with offsets in every partition, so the
                // record with the largest timestamp is the last one.
                Sent last = sent.get(sent.size() - 1);
                check(m.get(tp).offset() == last.offset && m.get(tp).timestamp() == last.timestamp,
                        "listOffsets maxTimestamp %s = offset %d ts %d, want offset %d ts %d", tp, m.get(tp).offset(),
                        m.get(tp).timestamp(), last.offset, last.timestamp);
            }
        }
    }

    // ---- Producer --------------------------------------------------------

    /** kafka-clients' version, from the properties file its jar carries. */
    static String clientVersion() {
        try (var in = KafkaProducer.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /**
     * The 32-bit murmur2 hash the Java producer's default partitioner applies
     * to keys (seed 0x9747b28c), so that the partition each record lands in
     * can be checked independently of the client's internals.
     */
    static int murmur2(byte[] data) {
        final int m = 0x5bd1e995;
        final int r = 24;
        int length = data.length;
        int h = 0x9747b28c ^ length;
        int length4 = length / 4;
        for (int i = 0; i < length4; i++) {
            int i4 = i * 4;
            int k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) + ((data[i4 + 3] & 0xff) << 24);
            k *= m;
            k ^= k >>> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        int tail = length & ~3;
        switch (length % 4) {
            case 3:
                h ^= (data[tail + 2] & 0xff) << 16;
            case 2:
                h ^= (data[tail + 1] & 0xff) << 8;
            case 1:
                h ^= data[tail] & 0xff;
                h *= m;
            default:
        }
        h ^= h >>> 13;
        h *= m;
        h ^= h >>> 15;
        return h;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The value of record i: mostly short, a null (tombstone), an empty one, and a few large compressible ones. */
    static byte[] valueOf(String codec, int i, Random rnd) {
        if (i == 1) {
            return null;
        }
        if (i == 2) {
            return new byte[0];
        }
        if (i % 97 == 0) {
            StringBuilder sb = new StringBuilder();
            while (sb.length() < 40_000) {
                sb.append(codec).append(" large value ").append(i).append(' ').append(rnd.nextInt(10)).append('\n');
            }
            return utf8(sb.toString());
        }
        return utf8(codec + " value " + i + " " + "x".repeat(rnd.nextInt(200)));
    }

    List<Sent> produce(String codec, long tsBase) throws Exception {
        Properties pp = common("tributary-interop-producer-" + codec);
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
        pp.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        pp.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        Random rnd = new Random(codec.hashCode());
        List<Sent> sent = new ArrayList<>(records);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
            List<PartitionInfo> parts = producer.partitionsFor(topic);
            check(parts.size() == FINAL_PARTITIONS, "producer sees %d partitions, want %d", parts.size(), FINAL_PARTITIONS);
            List<ProducerRecord<byte[], byte[]>> recs = new ArrayList<>(records);
            List<Future<RecordMetadata>> futures = new ArrayList<>(records);
            for (int i = 0; i < records; i++) {
                byte[] key = utf8(codec + "-key-" + i);
                RecordHeaders headers = new RecordHeaders();
                headers.add("codec", utf8(codec));
                headers.add("index", utf8(Integer.toString(i)));
                if (i % 3 == 0) {
                    headers.add("empty", new byte[0]);
                }
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, null, tsBase + i, key, valueOf(codec, i, rnd), headers);
                recs.add(r);
                futures.add(producer.send(r));
            }
            producer.flush();
            for (int i = 0; i < records; i++) {
                ProducerRecord<byte[], byte[]> r = recs.get(i);
                RecordMetadata md = get(futures.get(i));
                check(topic.equals(md.topic()), "%s record #%d: metadata topic %s", codec, i, md.topic());
                int wantPartition = (murmur2(r.key()) & 0x7fffffff) % FINAL_PARTITIONS;
                check(md.partition() == wantPartition, "%s record #%d: partition %d, the default partitioner picks %d",
                        codec, i, md.partition(), wantPartition);
                check(md.hasOffset() && md.offset() >= 0, "%s record #%d: no offset in %s", codec, i, md);
                check(md.hasTimestamp() && md.timestamp() == r.timestamp(), "%s record #%d: metadata timestamp %d, sent %d",
                        codec, i, md.timestamp(), r.timestamp());
                Map<String, String> hs = new TreeMap<>();
                for (Header h : r.headers()) {
                    hs.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
                }
                sent.add(new Sent(codec, i, r.key(), r.value(), hs, r.timestamp(), md.partition(), md.offset()));
            }
        }
        info("%s: %d records acked", codec, sent.size());
        return sent;
    }

    /** A fresh topic written by idempotent producers: each partition holds offsets 0..n-1 with none missing. */
    static void checkDenseOffsets(Map<Integer, List<Sent>> byPartition) {
        for (Map.Entry<Integer, List<Sent>> e : byPartition.entrySet()) {
            List<Sent> l = e.getValue();
            for (int i = 0; i < l.size(); i++) {
                check(l.get(i).offset == i, "partition %d: acked offsets are not 0..%d: %s", e.getKey(), l.size() - 1,
                        i > 0 && l.get(i).offset == l.get(i - 1).offset
                                ? "offset " + l.get(i).offset + " acked twice (" + l.get(i - 1).describe() + ", " + l.get(i).describe() + ")"
                                : "position " + i + " holds " + l.get(i).describe());
            }
        }
    }

    // ---- Consumer --------------------------------------------------------

    void consume(Map<Integer, List<Sent>> byPartition, int total, String isolation, int fetchBytes) throws Exception {
        step("consume (" + isolation + ", fetch limits " + fetchBytes + " bytes)");
        Properties cp = common("tributary-interop-consumer");
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        cp.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "60000");
        // Small fetches so that reading back takes many Fetch round trips.
        cp.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(fetchBytes));
        cp.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(Math.max(fetchBytes, 1024)));
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp)) {
            List<PartitionInfo> parts = consumer.partitionsFor(topic);
            check(parts.size() == FINAL_PARTITIONS, "consumer sees %d partitions, want %d", parts.size(), FINAL_PARTITIONS);
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo pi : parts) {
                check(pi.leader() != null && !pi.leader().isEmpty(), "partitionsFor: %s has no leader", pi);
                tps.add(new TopicPartition(topic, pi.partition()));
            }
            tps.sort((a, b) -> Integer.compare(a.partition(), b.partition()));

            Map<TopicPartition, Long> begin = consumer.beginningOffsets(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            for (TopicPartition tp : tps) {
                long n = byPartition.getOrDefault(tp.partition(), List.of()).size();
                check(begin.get(tp) == 0, "beginningOffsets %s = %d, want 0", tp, begin.get(tp));
                check(end.get(tp) == n, "endOffsets %s = %d, want %d", tp, end.get(tp), n);
            }

            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> next = new HashMap<>();
            for (TopicPartition tp : tps) {
                next.put(tp, 0L);
            }
            int read = 0;
            while (read < total) {
                check(System.nanoTime() < deadlineNanos, "read %d of %d records before running out of time; positions %s",
                        read, total, next);
                ConsumerRecords<byte[], byte[]> recs = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<byte[], byte[]> r : recs) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    long want = next.get(tp);
                    check(r.offset() == want, "%s: read offset %d, want %d next (no gaps, no repeats)", tp, r.offset(), want);
                    List<Sent> l = byPartition.get(r.partition());
                    check(l != null && r.offset() < l.size(), "%s: read offset %d beyond the %d records produced there",
                            tp, r.offset(), l == null ? 0 : l.size());
                    checkRecord(l.get((int) r.offset()), r);
                    next.put(tp, want + 1);
                    read++;
                }
            }
            // Nothing more may arrive.
            ConsumerRecords<byte[], byte[]> extra = consumer.poll(Duration.ofMillis(1000));
            check(extra.isEmpty(), "%d records beyond the %d produced, first at %s", extra.count(), total,
                    extra.isEmpty() ? "" : extra.iterator().next());
            for (TopicPartition tp : tps) {
                check(consumer.position(tp) == end.get(tp), "position %s = %d after reading all, want %d", tp,
                        consumer.position(tp), end.get(tp));
            }
            info("read %d records", read);

            if (!"read_uncommitted".equals(isolation)) {
                return;
            }
            offsetsForTimes(consumer, tps, byPartition);

            // A seek into the middle of a partition starts exactly there, even inside a compressed batch.
            TopicPartition tp0 = tps.get(0);
            List<Sent> l0 = byPartition.getOrDefault(0, List.of());
            if (l0.size() > 2) {
                long mid = l0.size() / 2 + 1;
                consumer.seek(tp0, mid);
                ConsumerRecord<byte[], byte[]> first = null;
                while (first == null) {
                    check(System.nanoTime() < deadlineNanos, "no record after seek(%s, %d)", tp0, mid);
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        if (r.partition() == 0) {
                            first = r;
                            break;
                        }
                    }
                }
                check(first.offset() == mid, "seek(%s, %d) then poll: first offset %d", tp0, mid, first.offset());
                checkRecord(l0.get((int) mid), first);
            }
        }
    }

    void offsetsForTimes(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> tps, Map<Integer, List<Sent>> byPartition) {
        step("offsetsForTimes");
        int checked = 0;
        long maxTs = Long.MIN_VALUE;
        for (List<Sent> l : byPartition.values()) {
            for (Sent s : l) {
                maxTs = Math.max(maxTs, s.timestamp);
            }
        }
        for (TopicPartition tp : tps) {
            List<Sent> l = byPartition.getOrDefault(tp.partition(), List.of());
            if (l.isEmpty()) {
                continue;
            }
            int[] picks = {0, l.size() / 3, l.size() / 2, l.size() - 1};
            for (int idx : picks) {
                for (long delta : new long[] {0, -1, 1}) {
                    long query = l.get(idx).timestamp + delta;
                    // The earliest offset whose timestamp is at least query.
                    Sent want = null;
                    for (Sent s : l) {
                        if (s.timestamp >= query) {
                            want = s;
                            break;
                        }
                    }
                    OffsetAndTimestamp got = consumer.offsetsForTimes(Map.of(tp, query)).get(tp);
                    if (want == null) {
                        check(got == null, "offsetsForTimes(%s, %d): %s, want none", tp, query, got);
                    } else {
                        check(got != null && got.offset() == want.offset && got.timestamp() == want.timestamp,
                                "offsetsForTimes(%s, %d): %s, want offset %d timestamp %d", tp, query, got, want.offset, want.timestamp);
                    }
                    checked++;
                }
            }
            OffsetAndTimestamp none = consumer.offsetsForTimes(Map.of(tp, maxTs + 1)).get(tp);
            check(none == null, "offsetsForTimes(%s, %d) past every record: %s, want none", tp, maxTs + 1, none);
        }
        info("%d offsetsForTimes look-ups matched", checked);
    }

    static void checkRecord(Sent s, ConsumerRecord<byte[], byte[]> r) {
        String what = s.describe();
        check(Arrays.equals(s.key, r.key()), "%s: read key %s", what, r.key() == null ? "null" : new String(r.key(), StandardCharsets.UTF_8));
        if (s.value == null) {
            check(r.value() == null, "%s: sent a null value, read %s", what, r.value() == null ? "null" : r.value().length + " bytes");
        } else {
            check(r.value() != null && Arrays.equals(s.value, r.value()), "%s: value differs (sent %d bytes, read %s)", what,
                    s.value.length, r.value() == null ? "null" : r.value().length + " bytes");
        }
        check(r.timestamp() == s.timestamp && r.timestampType() == TimestampType.CREATE_TIME,
                "%s: read timestamp %d (%s), sent %d (CreateTime)", what, r.timestamp(), r.timestampType(), s.timestamp);
        Map<String, String> hs = new TreeMap<>();
        for (Header h : r.headers()) {
            hs.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
        }
        check(hs.equals(s.headers), "%s: read headers %s, sent %s", what, hs, s.headers);
        check(r.leaderEpoch().isPresent(), "%s: no leader epoch on the fetched record", what);
    }
}
