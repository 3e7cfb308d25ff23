package io.tributary.interop;

import static io.tributary.interop.SparkCheck.emit;
import static io.tributary.interop.SparkCheck.sql;

import org.apache.spark.sql.SparkSession;

/**
 * Tributary's catalog on an S3 warehouse with vended credentials, as docs/query.md gives it: the
 * Spark catalog "tributary_s3" has the catalog's URI, the OAuth2 credential and the header
 * X-Iceberg-Access-Delegation: vended-credentials, and nothing about S3 (no keys, no endpoint, no
 * file IO): Iceberg's S3FileIO (iceberg-aws-bundle) is configured from the table answers'
 * "storage-credentials" and "config" alone.
 *
 * <p>It runs the reads of {@link Reads} on table r (rows printed with the prefix "s3_"), then
 * creates table w, inserts one row and prints what it reads back as "s3_made".
 */
final class VendedS3 {
  /** The Spark catalog name of the S3 warehouse's catalog. */
  static final String CATALOG = "tributary_s3";

  private VendedS3() {}

  static void run(SparkSession spark, String uri, String credential, String r, String w) {
    String c = "spark.sql.catalog." + CATALOG;
    spark.conf().set(c, "org.apache.iceberg.spark.SparkCatalog");
    spark.conf().set(c + ".type", "rest");
    spark.conf().set(c + ".uri", uri);
    spark.conf().set(c + ".cache-enabled", "false");
    spark.conf().set(c + ".header.X-Iceberg-Access-Delegation", "vended-credentials");
    if (credential != null) {
      spark.conf().set(c + ".credential", credential);
      spark.conf().set(c + ".rest.auth.type", "oauth2");
      spark.conf().set(c + ".oauth2-server-uri", uri + "/v1/oauth/tokens");
    }
    if (r != null) {
      Reads.run(spark, CATALOG + "." + r, "s3_");
    }
    if (w != null) {
      String t = CATALOG + "." + w;
      sql(spark, "CREATE NAMESPACE IF NOT EXISTS " + t.substring(0, t.lastIndexOf('.')));
      sql(spark, "CREATE TABLE " + t + " (id BIGINT, name STRING) USING iceberg");
      sql(spark, "INSERT INTO " + t + " VALUES (42, 'vended')");
      emit("s3_made", sql(spark, "SELECT id, name FROM " + t));
    }
  }
}
