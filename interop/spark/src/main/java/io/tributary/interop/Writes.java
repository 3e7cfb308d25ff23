package io.tributary.interop;

import static io.tributary.interop.SparkCheck.emit;
import static io.tributary.interop.SparkCheck.sql;

import org.apache.spark.sql.SparkSession;

/**
 * Spark's own commits through the catalog. On table w (replaced if it exists):
 *
 * <ol>
 *   <li>CREATE TABLE, format 2, partitioned by days(ts), with a decimal, a list, a map and a struct;
 *   <li>two INSERTs (append snapshots: assert-ref-snapshot-id, add-snapshot, set-snapshot-ref);
 *   <li>ALTER TABLE ADD COLUMN (add-schema, set-current-schema), and an INSERT that fills it;
 *   <li>DELETE and UPDATE, copy-on-write (overwrite snapshots that drop and rewrite files);
 *   <li>SET TBLPROPERTIES (set-properties), WRITE ORDERED BY (add-sort-order,
 *       set-default-sort-order), ADD PARTITION FIELD bucket(4, id) (add-spec, set-default-spec),
 *       and an INSERT under the new spec;
 *   <li>the rewrite_data_files procedure (a replace snapshot) and expire_snapshots, keeping the
 *       last (remove-snapshots; Spark deletes the files).
 * </ol>
 *
 * Then, when a table r to read is given, CREATE TABLE AS SELECT from it into w + "_ctas" (a staged
 * create, committed with assert-create). The rows Spark reads back are printed as "made" (w, by id,
 * before the maintenance), the snapshots' operations as "made_snapshots", the procedures' results as
 * "rewrite" and "expire", then "maintained" (rows and snapshots after) and "ctas" (its count); the
 * caller reads both tables with another client to compare.
 */
final class Writes {
  private Writes() {}

  static void run(SparkSession spark, String w, String r) {
    String ns = w.substring(0, w.lastIndexOf('.'));
    sql(spark, "CREATE NAMESPACE IF NOT EXISTS " + ns);
    sql(spark, "DROP TABLE IF EXISTS " + w + " PURGE");
    sql(
        spark,
        "CREATE TABLE " + w + " (id BIGINT NOT NULL, name STRING, ts TIMESTAMP, amount DECIMAL(20,0),"
            + " tags ARRAY<STRING>, attrs MAP<STRING, INT>, addr STRUCT<city: STRING, zip: INT>)"
            + " USING iceberg PARTITIONED BY (days(ts)) TBLPROPERTIES ('format-version'='2')");
    sql(
        spark,
        "INSERT INTO " + w + " VALUES"
            + " (1, 'one', TIMESTAMP '2024-01-01 10:00:00.123456Z', 18446744073709551615BD, array('a', 'b'), map('k', 1), named_struct('city', 'Berlin', 'zip', 10115)),"
            + " (2, 'two', TIMESTAMP '2024-01-02 11:00:00Z', 0BD, array(), map(), named_struct('city', 'Paris', 'zip', 75001)),"
            + " (3, 'three', TIMESTAMP '2024-01-02 12:00:00Z', NULL, NULL, NULL, NULL)");
    sql(spark, "INSERT INTO " + w + " VALUES (4, 'four', TIMESTAMP '2024-01-03 00:00:00Z', 4BD, array('d'), map('x', 4, 'y', 5), named_struct('city', NULL, 'zip', 4))");
    sql(spark, "ALTER TABLE " + w + " ADD COLUMN note STRING");
    sql(spark, "INSERT INTO " + w + " VALUES (5, 'five', TIMESTAMP '2024-01-03 05:00:00Z', 5BD, array('e'), map(), named_struct('city', 'Rome', 'zip', 118), 'added later')");
    sql(spark, "DELETE FROM " + w + " WHERE id = 2");
    sql(spark, "UPDATE " + w + " SET name = 'THREE', note = 'updated' WHERE id = 3");
    sql(spark, "ALTER TABLE " + w + " SET TBLPROPERTIES ('tributary.check' = 'spark')");
    sql(spark, "ALTER TABLE " + w + " WRITE ORDERED BY id");
    sql(spark, "ALTER TABLE " + w + " ADD PARTITION FIELD bucket(4, id)");
    sql(spark, "INSERT INTO " + w + " VALUES (6, 'six', TIMESTAMP '2024-01-04 06:00:00Z', 6BD, array(), map('z', 6), named_struct('city', 'Oslo', 'zip', 150), 'new spec')");
    emit("made", sql(spark, "SELECT * FROM " + w + " ORDER BY id"));
    emit("made_snapshots", sql(spark, "SELECT operation FROM " + w + ".snapshots ORDER BY committed_at"));
    String table = w.substring(SparkCheck.CATALOG.length() + 1);
    emit("rewrite", sql(spark, "CALL " + SparkCheck.CATALOG + ".system.rewrite_data_files(table => '" + table + "', options => map('min-input-files', '2'))"));
    emit(
        "expire",
        sql(
            spark,
            "CALL " + SparkCheck.CATALOG + ".system.expire_snapshots(table => '" + table + "', older_than => TIMESTAMP '"
                + java.time.Instant.now().plusSeconds(1) + "', retain_last => 1)"));
    emit("maintained", sql(spark, "SELECT count(*) AS rows, (SELECT count(*) FROM " + w + ".snapshots) AS snapshots FROM " + w));
    if (r != null) {
      String ctas = w + "_ctas";
      sql(spark, "DROP TABLE IF EXISTS " + ctas + " PURGE");
      sql(
          spark,
          "CREATE TABLE " + ctas + " USING iceberg AS SELECT kafka.partition AS partition, kafka.offset AS offset, val.id AS id"
              + " FROM " + r + " WHERE val.id IS NOT NULL");
      emit("ctas", sql(spark, "SELECT count(*) AS rows FROM " + ctas));
    }
  }
}
