package io.tributary.interop;

import java.util.HexFormat;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka's Java KafkaProducer sending one record the broker is expected to
 * refuse (schema enforcement): prints what the client hands the
 * application, the exception's class and message, as
 * {@code REJECTED <class>: <message>}, so the caller can check the broker's
 * reason (the Produce response's error_message and record_errors) reaches
 * it.
 *
 * <p>Usage: {@code RejectedRecordCheck BOOTSTRAP TOPIC VALUE_HEX}. Exit 0 with
 * the REJECTED line when the send failed; exit 1 with a "FAIL:" line when
 * the record was accepted.
 */
public final class RejectedRecordCheck {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: RejectedRecordCheck BOOTSTRAP TOPIC VALUE_HEX");
            System.exit(2);
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "20000");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        byte[] value = HexFormat.of().parseHex(args[2]);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            try {
                RecordMetadata md = producer.send(new ProducerRecord<>(args[1], value)).get(60, TimeUnit.SECONDS);
                System.out.println("FAIL: accepted at partition " + md.partition() + " offset " + md.offset());
                System.exit(1);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                System.out.println("REJECTED " + c.getClass().getName() + ": " + c.getMessage());
            }
        }
    }
}
