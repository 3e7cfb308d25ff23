package io.tributary.interop;

import static io.tributary.interop.SparkCheck.emit;
import static io.tributary.interop.SparkCheck.sql;

import org.apache.spark.sql.SparkSession;

/**
 * Queries of a table Tributary's ingest wrote (Bufstream's layout: key, val, headers, kafka), as
 * an analyst would write them. Each query's rows are printed under its name (after a prefix, for a
 * second catalog's table):
 *
 * <ul>
 *   <li>count: rows, and distinct (kafka.partition, kafka.offset) pairs;
 *   <li>rows: every row's kafka coordinates, key, val and headers, whole;
 *   <li>nested: single nested columns (val.id, val.big_u64, val.money.currency, val.created,
 *       val.lines[0].sku, val.counters['c1'], headers[0]), which Spark prunes the Parquet read to;
 *   <li>point: the coordinates of val.id = 'order-7' (a filter on a nested column);
 *   <li>pruned: the rows before 2000 (none: day partitions of kafka.event_timestamp pruned);
 *   <li>snapshots: each snapshot's operation and tributary.offsets summary;
 *   <li>files: the data files' record count and number.
 * </ul>
 */
final class Reads {
  private Reads() {}

  static void run(SparkSession spark, String t) {
    run(spark, t, "");
  }

  static void run(SparkSession spark, String t, String p) {
    emit(p + "count", sql(spark, "SELECT count(*) AS rows, count(DISTINCT kafka.partition, kafka.offset) AS distinct_offsets FROM " + t));
    emit(
        p + "rows",
        sql(
            spark,
            "SELECT kafka.partition AS partition, kafka.offset AS offset, kafka.event_timestamp AS event_timestamp,"
                + " key, val, headers FROM " + t + " ORDER BY partition, offset"));
    emit(
        p + "nested",
        sql(
            spark,
            "SELECT kafka.partition AS partition, kafka.offset AS offset, val.id AS id, val.big_u64 AS big_u64,"
                + " val.money.currency AS currency, val.created AS created, val.lines[0].sku AS first_sku,"
                + " val.counters['c1'] AS c1, headers[0].key AS header_key, CAST(headers[0].value AS STRING) AS header_value"
                + " FROM " + t + " WHERE val.__err__ IS NULL AND val.__raw__ IS NULL ORDER BY partition, offset"));
    emit(p + "point", sql(spark, "SELECT kafka.partition AS partition, kafka.offset AS offset FROM " + t + " WHERE val.id = 'order-7'"));
    emit(p + "pruned", sql(spark, "SELECT count(*) AS rows FROM " + t + " WHERE kafka.event_timestamp < TIMESTAMP '2000-01-01 00:00:00Z'"));
    emit(
        p + "snapshots",
        sql(
            spark,
            "SELECT snapshot_id, operation, summary['tributary.offsets'] AS offsets FROM " + t + ".snapshots ORDER BY committed_at"));
    emit(p + "files", sql(spark, "SELECT sum(record_count) AS records, count(*) AS files FROM " + t + ".files"));
  }
}
