package io.tributary.interop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Kafka's Java KafkaConsumer in a consumer group against a Tributary broker:
 * N consumers (one thread each) subscribe to a topic in one group with the
 * given group.protocol ("classic", or "consumer" for KIP-848, where the
 * broker assigns partitions through ConsumerGroupHeartbeat), poll, and
 * commitSync after each non-empty poll, until together they have seen every
 * value "jg-000000" .. "jg-(N-1)" the caller produced; then each commits
 * once more and closes (leaving the group). A value at two different
 * partition/offsets, a foreign value, or a value missing at the deadline
 * fails the check.
 *
 * <p>Usage: {@code GroupConsumerCheck BOOTSTRAP --topic T --group G --expect N
 * [--protocol classic|consumer] [--consumers C] [--timeout-sec S]}. Exit 0 and
 * one "OK" line on success; exit 1 and a "FAIL:" line otherwise.
 */
public final class GroupConsumerCheck {

    final String bootstrap;
    final String topic;
    final String group;
    final int expect;
    final String protocol;
    final int consumers;
    final long deadlineNanos;

    final ConcurrentHashMap<String, String> seen = new ConcurrentHashMap<>(); // value → "partition offset"
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicReference<String> failure = new AtomicReference<>();
    final AtomicInteger failedCommits = new AtomicInteger();
    final int[] counts;

    GroupConsumerCheck(String bootstrap, String topic, String group, int expect, String protocol, int consumers,
                       Duration timeout) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.group = group;
        this.expect = expect;
        this.protocol = protocol;
        this.consumers = consumers;
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
        this.counts = new int[consumers];
    }

    public static void main(String[] args) {
        String bootstrap = null, topic = null, group = null, protocol = "consumer";
        int expect = -1, consumers = 2, timeoutSec = 120;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--topic" -> topic = args[++i];
                    case "--group" -> group = args[++i];
                    case "--expect" -> expect = Integer.parseInt(args[++i]);
                    case "--protocol" -> protocol = args[++i];
                    case "--consumers" -> consumers = Integer.parseInt(args[++i]);
                    case "--timeout-sec" -> timeoutSec = Integer.parseInt(args[++i]);
                    default -> {
                        if (args[i].startsWith("-") || bootstrap != null) {
                            throw new IllegalArgumentException("unexpected argument " + args[i]);
                        }
                        bootstrap = args[i];
                    }
                }
            }
            if (bootstrap == null || topic == null || group == null || expect <= 0 || consumers <= 0) {
                throw new IllegalArgumentException("BOOTSTRAP, --topic, --group and --expect are required");
            }
            if (!protocol.equals("classic") && !protocol.equals("consumer")) {
                throw new IllegalArgumentException("--protocol is classic or consumer");
            }
        } catch (RuntimeException e) {
            System.err.println("usage: GroupConsumerCheck BOOTSTRAP --topic T --group G --expect N"
                    + " [--protocol classic|consumer] [--consumers C] [--timeout-sec S]: " + e.getMessage());
            System.exit(2);
            return;
        }
        GroupConsumerCheck c = new GroupConsumerCheck(bootstrap, topic, group, expect, protocol, consumers,
                Duration.ofSeconds(timeoutSec));
        long start = System.nanoTime();
        int code;
        try {
            String summary = c.run();
            System.out.printf(Locale.ROOT, "OK %s in %.1fs%n", summary, (System.nanoTime() - start) / 1e9);
            code = 0;
        } catch (Throwable e) {
            System.err.println("FAIL: " + e.getMessage());
            code = 1;
        }
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    String run() throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < consumers; i++) {
            final int index = i;
            Thread t = new Thread(() -> {
                try {
                    consume(index);
                } catch (Throwable e) {
                    failure.compareAndSet(null, "consumer " + index + ": " + e);
                    e.printStackTrace();
                    stop.set(true);
                }
            }, "consumer-" + i);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            long left = Math.max(1, deadlineNanos - System.nanoTime()) + TimeUnit.SECONDS.toNanos(30);
            t.join(TimeUnit.NANOSECONDS.toMillis(left));
            if (t.isAlive()) {
                throw new IllegalStateException(t.getName() + " still running 30s after the deadline");
            }
        }
        if (failure.get() != null) {
            throw new IllegalStateException(failure.get());
        }
        if (seen.size() != expect) {
            throw new IllegalStateException(String.format(Locale.ROOT, "%d of %d values consumed by the deadline",
                    seen.size(), expect));
        }
        StringBuilder per = new StringBuilder();
        for (int i = 0; i < consumers; i++) {
            per.append(i == 0 ? "" : ", ").append(counts[i]);
        }
        return String.format(Locale.ROOT, "group.protocol=%s: %d consumers read all %d values (records per consumer [%s], %d commits refused during rebalances)",
                protocol, consumers, expect, per, failedCommits.get());
    }

    void consume(int index) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "group-check-" + index);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        if (protocol.equals("classic")) {
            // The consumer protocol refuses these: the broker owns them there.
            p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
            p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
        }
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(topic));
            while (!stop.get() && System.nanoTime() < deadlineNanos) {
                ConsumerRecords<byte[], byte[]> recs = c.poll(Duration.ofMillis(200));
                for (ConsumerRecord<byte[], byte[]> r : recs) {
                    record(index, r);
                }
                if (!recs.isEmpty()) {
                    commit(c);
                }
                if (seen.size() == expect) {
                    stop.set(true);
                }
            }
            commit(c);
        }
    }

    void record(int index, ConsumerRecord<byte[], byte[]> r) {
        String v = new String(r.value(), StandardCharsets.UTF_8);
        String pos = r.partition() + " " + r.offset();
        int n;
        try {
            n = v.startsWith("jg-") ? Integer.parseInt(v.substring(3)) : -1;
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0 || n >= expect || !r.topic().equals(topic)) {
            throw new IllegalStateException("foreign record " + r.topic() + " " + pos + ": " + v);
        }
        String prev = seen.putIfAbsent(v, pos);
        if (prev != null && !prev.equals(pos)) {
            throw new IllegalStateException(v + " read at " + pos + " and at " + prev);
        }
        counts[index]++;
    }

    /** commitSync; a commit refused because the group is rebalancing is redelivery, not failure. */
    void commit(KafkaConsumer<byte[], byte[]> c) {
        try {
            c.commitSync(Duration.ofSeconds(15));
        } catch (CommitFailedException | RebalanceInProgressException e) {
            failedCommits.incrementAndGet();
        }
    }
}
