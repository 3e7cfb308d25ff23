package io.tributary.interop;

import static io.tributary.interop.SparkCheck.emit;
import static io.tributary.interop.SparkCheck.sql;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.apache.spark.sql.SparkSession;

/**
 * Another engine's maintenance of a table Tributary's ingest is writing, as a Spark user would run
 * it: rewrite_data_files (a replace snapshot that carries none of Tributary's summary properties),
 * then expire_snapshots(retain_last => 1) of everything older than now. Printed:
 *
 * <ul>
 *   <li>maintain_rewrite: the rewrite procedure's row (files rewritten and added);
 *   <li>maintain_expire: the expiry procedure's row (files deleted);
 *   <li>maintain_snapshots: how many snapshots are left.
 * </ul>
 */
final class Maintain {
  private Maintain() {}

  static void run(SparkSession spark, String catalog, String table) {
    emit(
        "maintain_rewrite",
        sql(spark, "CALL " + catalog + ".system.rewrite_data_files(table => '" + table + "', options => map('min-input-files', '2'))"));
    String now = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC).format(Instant.now());
    emit(
        "maintain_expire",
        sql(
            spark,
            "CALL " + catalog + ".system.expire_snapshots(table => '" + table + "', older_than => TIMESTAMP '" + now
                + "', retain_last => 1)"));
    emit("maintain_snapshots", sql(spark, "SELECT count(*) AS n FROM " + catalog + "." + table + ".snapshots"));
  }
}
