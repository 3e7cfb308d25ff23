// Command comparebench runs Apache Kafka and Tributary side by side on this
// machine and measures both with Kafka's own tools (`make bench-compare`).
//
// It resolves an Apache Kafka broker (org.apache.kafka:kafka_2.13) and
// kafka-tools from Maven Central through interop/kafkabroker/pom.xml,
// formats and starts a single-node KRaft Kafka (127.0.0.1 only, free ports,
// data in a temporary directory, heap -Xmx1g), builds and starts a
// `tributary serve` (temporary data directory, embedded defaults, free
// ports), and then runs, interleaved over rounds, for each target:
// ProducerPerformance at full speed, ConsumerPerformance over what was just
// produced, and ProducerPerformance paced at --paced-rate records/s. All
// runs use 1 KiB records (--size), acks=all and --partitions partitions.
// Kafka is measured twice: with its default flush (acks from the page
// cache) and on a topic with flush.messages=1 (an fsync per append), since
// Tributary always makes an append durable before it acks.
//
// Broker CPU seconds come from /proc/<pid>/stat (utime+stime) around each
// run, peak RSS from /proc/<pid>/status (VmHWM) at the end. The client
// tool's own CPU (every thread, from the kernel's accounting when it is
// reaped) and wall-clock are kept per run, and both processes are sampled
// every 50 ms (/proc/<pid>/task/*/stat for the tool's threads) so that the
// CPU of the tool's measured window alone is known: ConsumerPerformance's
// fetch.time.ms ending at its end.time, ProducerPerformance's
// records/rate ending when its summary line was printed. From the window
// come the cores broker, client and the client's busiest thread kept
// busy, the client+broker CPU per GiB and two ceilings: every core spent
// on client and broker, and the busiest client thread on one core. The
// consume run prints the Java consumer's metrics (--print-metrics), from
// which the fetch shape is read for every broker (fetches/s, bytes and
// records per response, fetch latency); Tributary's /metrics give its
// bytes per partition per response and its time to answer. The table
// prints the mean of the rounds, Tributary/Kafka ratios and the goals of
// issue 13 beside them.
//
// Contracts: nothing binds a fixed port; every child process is killed
// when the run ends (or its context is cancelled); every tool run is
// bounded by --run-timeout and the whole run by --max-time.
package main
