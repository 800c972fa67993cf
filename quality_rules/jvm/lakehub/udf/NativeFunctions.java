package lakehub.udf;

import java.util.List;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.objects.StaticInvoke;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.AbstractDataType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Registers lakehub's national-code checks as native SQL functions of a session.
 *
 * <p>Each function is a Catalyst {@link StaticInvoke} of a static method taking Spark's own UTF8String: the
 * generated code of the query calls the method directly on the row's bytes, with no conversion to a Java
 * String or byte[] and no boxing of the result (a registered Java UDF pays both per row). The analyser
 * casts a non-string argument to STRING (implicit cast input types). A null argument is handled inside the
 * method: the checks return MALFORMED, false or 0 (never null); the pseudonym of null is null.
 */
public final class NativeFunctions {
  private NativeFunctions() {}

  /** Register every function on the session under the given names (the SQL names cn_spark.py uses). */
  public static void register(
      SparkSession spark,
      String residentIdFacts,
      String usccValid,
      String mobileValid,
      String adminCodeLength,
      String pseudonym,
      String regexFind) {
    define(spark, residentIdFacts, CnResidentIdFacts.class, DataTypes.LongType);
    define(spark, usccValid, CnUsccValid.class, DataTypes.BooleanType);
    define(spark, mobileValid, CnMobileValid.class, DataTypes.BooleanType);
    define(spark, adminCodeLength, CnAdminCodeLength.class, DataTypes.IntegerType);
    define(
        spark,
        pseudonym,
        Pseudonym.class,
        "of",
        DataTypes.StringType,
        List.of(DataTypes.StringType, DataTypes.StringType),
        true,
        true,
        false);
    define(
        spark,
        regexFind,
        RegexFind.class,
        "of",
        DataTypes.BooleanType,
        List.of(DataTypes.StringType, DataTypes.StringType),
        true,
        false,
        true);
  }

  /**
   * Register landing's standardisation functions ({@link Standardise}) under the given names (the SQL names
   * pipelines/standardise.py uses). Null in, null out; a value that cannot be read gives null.
   */
  public static void registerStandardisation(
      SparkSession spark,
      String text,
      String date,
      String timestamp,
      String residentId,
      String mobile,
      String uscc) {
    List<AbstractDataType> one = List.of(DataTypes.StringType);
    define(
        spark,
        text,
        Standardise.class,
        "text",
        DataTypes.StringType,
        List.of(DataTypes.StringType, DataTypes.BooleanType),
        true,
        false,
        true);
    define(spark, date, Standardise.class, "date", DataTypes.DateType, one, true, true, true);
    define(spark, timestamp, Standardise.class, "timestamp", DataTypes.TimestampNTZType, one, true, true, true);
    define(spark, residentId, Standardise.class, "residentId", DataTypes.StringType, one, true, true, true);
    define(spark, mobile, Standardise.class, "mobile", DataTypes.StringType, one, true, true, true);
    define(spark, uscc, Standardise.class, "uscc", DataTypes.StringType, one, true, true, true);
  }

  /**
   * Register {@code name(text, anchor)}: the instant given as decimal microseconds since the epoch, as a
   * TIMESTAMP, for each row ({@code anchor}, any BIGINT column of the row, is ignored: it keeps the optimiser
   * from folding the call into a timestamp literal). Generated code takes a string literal from the query's
   * references but writes a timestamp literal ({@code current_timestamp()} becomes one) into the code
   * itself: every landing's write stages were new classes, compiled by Janino and by the JIT from scratch.
   */
  public static void registerInstant(SparkSession spark, String name) {
    define(
        spark,
        name,
        Standardise.class,
        "instant",
        DataTypes.TimestampType,
        List.of(DataTypes.StringType, DataTypes.LongType),
        true,
        false,
        true);
  }

  private static void define(SparkSession spark, String name, Class<?> owner, DataType result) {
    define(spark, name, owner, "of", result, List.of(DataTypes.StringType), true, false, false);
  }

  /**
   * Register {@code owner.method(...)} as SQL function {@code name}: a static call in the generated code. The
   * method takes Spark's internal types (UTF8String for STRING, int, long ...) and handles null arguments
   * itself; only a method returning an object may return null, and then {@code nullable} must be true.
   */
  static void define(
      SparkSession spark,
      String name,
      Class<?> owner,
      String method,
      DataType result,
      List<AbstractDataType> inputs,
      boolean deterministic,
      boolean nullable,
      boolean propagateNull) {
    scala.Function1<scala.collection.immutable.Seq<Expression>, Expression> builder =
        arguments -> {
          if (arguments.size() != inputs.size()) {
            throw new IllegalArgumentException(
                name + " takes " + inputs.size() + " argument(s), got " + arguments.size());
          }
          Option<ScalarFunction<?>> none = Option.empty();
          return new StaticInvoke(
              owner,
              result,
              method,
              arguments,
              CollectionConverters.asScala(inputs).toList(),
              propagateNull, // true: a null argument gives null without calling the method
              nullable, // returnNullable (the method returns a Java null for SQL null)
              deterministic,
              none);
        };
    spark.sessionState().functionRegistry().createOrReplaceTempFunction(name, builder, "java_udf");
  }
}
