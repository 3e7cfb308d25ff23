package io.tributary.interop;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Apache Spark, with Apache Iceberg's Spark runtime, against Tributary's built-in Iceberg REST
 * catalog: the configuration README.md gives users, unchanged.
 *
 * <p>With {@code --read ns.table} it queries a table Tributary's ingest wrote (counts, whole rows,
 * nested columns, filters, metadata tables); with {@code --write ns.table} it creates a table of its
 * own and commits to it (inserts, schema evolution, a copy-on-write delete and update), and creates
 * a second one with CREATE TABLE AS SELECT (a staged create); with {@code --maintain ns.table} it
 * runs rewrite_data_files and expire_snapshots(retain_last => 1) on a table ingest is writing
 * (Maintain); with {@code --s3-catalog URL} it does reads ({@code --s3-read}) and a write ({@code
 * --s3-write}) through a second catalog on an S3 warehouse, with vended credentials only (VendedS3).
 * It does not judge the answers: each
 * result row is printed as one line {@code RESULT {"q":"<query>","row":{...}}} (Spark's JSON of the
 * row, nulls included, timestamps to the microsecond in UTC) for the caller to compare with what it
 * produced (e2e/spark_test.go). The last line is {@code OK}; any exception prints {@code FAIL: ...}
 * and exits 1.
 *
 * <pre>
 *   SparkCheck --catalog http://127.0.0.1:8181 [--warehouse tributary] [--credential id:secret]
 *              [--bad-credential id:wrong] [--read shop.orders] [--write ns.spark_made] [--maintain shop.live]
 *              [--s3-catalog http://127.0.0.1:8182 [--s3-read shop.orders] [--s3-write tv.spark_vended]]
 * </pre>
 */
public final class SparkCheck {
  /** The Spark catalog name: tables are tributary.&lt;namespace&gt;.&lt;table&gt;. */
  static final String CATALOG = "tributary";

  /** to_json options: every field (nulls too), timestamps with microseconds. */
  static final Map<String, String> JSON_OPTIONS =
      Map.of(
          "ignoreNullFields", "false",
          "timestampFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX");

  private SparkCheck() {}

  public static void main(String[] args) {
    int status = 0;
    try {
      run(parse(args));
      System.out.println("OK");
    } catch (Throwable e) {
      System.out.flush();
      System.out.println("FAIL: " + e);
      e.printStackTrace(System.out);
      status = 1;
    }
    System.out.flush();
    // Spark leaves non-daemon threads behind; the JVM must not wait for them.
    System.exit(status);
  }

  static Map<String, String> parse(String[] args) {
    Map<String, String> opts = new LinkedHashMap<>();
    opts.put("--warehouse", "tributary");
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "usage: SparkCheck --catalog URL [--warehouse NAME] [--credential ID:SECRET] [--bad-credential ID:SECRET] [--read NS.TABLE] [--write NS.TABLE] [--maintain NS.TABLE]"
                + " [--s3-catalog URL [--s3-read NS.TABLE] [--s3-write NS.TABLE]]");
      }
      opts.put(args[i], args[i + 1]);
    }
    if (!opts.containsKey("--catalog")) {
      throw new IllegalArgumentException("--catalog URL is required");
    }
    return opts;
  }

  static void run(Map<String, String> opts) {
    long start = System.nanoTime();
    SparkSession spark = session(opts.get("--catalog"), opts.get("--warehouse"), opts.get("--credential"));
    System.err.printf("spark session: %.1fs%n", (System.nanoTime() - start) / 1e9);
    try {
      if (opts.containsKey("--bad-credential")) {
        badLogin(spark, opts.get("--catalog"), opts.get("--warehouse"), opts.get("--bad-credential"));
      }
      if (opts.containsKey("--read")) {
        Reads.run(spark, CATALOG + "." + opts.get("--read"));
      }
      if (opts.containsKey("--write")) {
        Writes.run(spark, CATALOG + "." + opts.get("--write"), opts.containsKey("--read") ? CATALOG + "." + opts.get("--read") : null);
      }
      if (opts.containsKey("--maintain")) {
        Maintain.run(spark, CATALOG, opts.get("--maintain"));
      }
      if (opts.containsKey("--s3-catalog")) {
        VendedS3.run(spark, opts.get("--s3-catalog"), opts.get("--credential"), opts.get("--s3-read"), opts.get("--s3-write"));
      }
    } finally {
      spark.stop();
    }
    System.err.printf("spark check: %.1fs%n", (System.nanoTime() - start) / 1e9);
  }

  /**
   * A local session with one core, no UI and no Hive, and Tributary's catalog as the Iceberg REST
   * catalog "tributary". The catalog's file IO is left to Iceberg's default (ResolvingFileIO:
   * Hadoop's local file system for file:// warehouses, S3FileIO for s3://). With a credential
   * (catalog.clients, or with http_auth a Kafka listener's user as user:password), the client
   * exchanges it for a token at the catalog's /v1/oauth/tokens (OAuth2 client credentials).
   */
  static SparkSession session(String uri, String warehouse, String credential) {
    String c = "spark.sql.catalog." + CATALOG;
    SparkSession.Builder b = SparkSession.builder();
    if (credential != null) {
      b.config(c + ".credential", credential)
          .config(c + ".rest.auth.type", "oauth2")
          .config(c + ".oauth2-server-uri", uri + "/v1/oauth/tokens");
    }
    return b
        .master("local[1]")
        .appName("tributary-spark-check")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config(c, "org.apache.iceberg.spark.SparkCatalog")
        .config(c + ".type", "rest")
        .config(c + ".uri", uri)
        .config(c + ".warehouse", warehouse)
        // A topic's table changes every commit interval: load it fresh on every query.
        .config(c + ".cache-enabled", "false")
        .getOrCreate();
  }

  /**
   * badLogin configures a second catalog, bad_login, as "tributary" but with the given (wrong)
   * credential, and lists its namespaces: the login at /v1/oauth/tokens must fail. Printed as
   * bad_login: the exception's class and message, or "listed" when the catalog answered.
   */
  static void badLogin(SparkSession spark, String uri, String warehouse, String credential) {
    String c = "spark.sql.catalog.bad_login";
    spark.conf().set(c, "org.apache.iceberg.spark.SparkCatalog");
    spark.conf().set(c + ".type", "rest");
    spark.conf().set(c + ".uri", uri);
    spark.conf().set(c + ".warehouse", warehouse);
    spark.conf().set(c + ".credential", credential);
    spark.conf().set(c + ".rest.auth.type", "oauth2");
    spark.conf().set(c + ".oauth2-server-uri", uri + "/v1/oauth/tokens");
    String got;
    try {
      got = "listed " + sql(spark, "SHOW NAMESPACES IN bad_login").collectAsList();
    } catch (RuntimeException e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      got = root.getClass().getName() + ": " + root.getMessage();
    }
    System.out.println("RESULT {\"q\":\"bad_login\",\"row\":{\"error\":" + jsonString(got) + "}}");
  }

  /** jsonString quotes s as a JSON string. */
  static String jsonString(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char ch : String.valueOf(s).toCharArray()) {
      if (ch == '"' || ch == '\\') {
        b.append('\\').append(ch);
      } else if (ch < 0x20) {
        b.append(String.format("\\u%04x", (int) ch));
      } else {
        b.append(ch);
      }
    }
    return b.append('"').toString();
  }

  /** sql runs a statement, logging how long it took. */
  static Dataset<Row> sql(SparkSession spark, String statement) {
    long start = System.nanoTime();
    Dataset<Row> df = spark.sql(statement);
    System.err.printf("sql (%.1fs): %s%n", (System.nanoTime() - start) / 1e9, statement.replaceAll("\\s+", " "));
    return df;
  }

  /** emit prints every row of df as a RESULT line tagged q, and returns how many there were. */
  static int emit(String q, Dataset<Row> df) {
    long start = System.nanoTime();
    List<String> rows =
        df.select(to_json(struct(col("*")), JSON_OPTIONS)).as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    for (String row : rows) {
      System.out.println("RESULT {\"q\":\"" + q + "\",\"row\":" + row + "}");
    }
    System.err.printf("%s: %d rows (%.1fs)%n", q, rows.size(), (System.nanoTime() - start) / 1e9);
    return rows.size();
  }
}
