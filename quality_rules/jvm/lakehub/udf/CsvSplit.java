package lakehub.udf;

import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.Literal$;
import org.apache.spark.sql.catalyst.expressions.objects.StaticInvoke;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.AbstractDataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The fields of a delivered CSV line read straight from its UTF-8 bytes, for the lines that need none of
 * CSV's rules: no quote ("), no escape (\), no carriage return or NUL, and exactly as many fields as the
 * delivery has columns. For those, Spark's {@code from_csv} (PERMISSIVE, nullValue "") gives each field's
 * text, an empty field as null and no corrupt record; this gives the same without decoding the line to a
 * Java String, tokenising it with univocity and encoding every field back (a third of the landing's
 * standardise pass on the 1M-row population sample). Any other line gives null, and landing reads it with
 * {@code from_csv} instead ({@code coalesce}), so quoting, escapes and malformed rows keep Spark's meaning.
 */
public final class CsvSplit {
  private CsvSplit() {}

  /**
   * The line's {@code columns} fields and a null corrupt record, or null when the line needs from_csv.
   *
   * @param separator the delimiter, an ASCII character (a byte that never occurs inside a multi-byte
   *     UTF-8 character)
   */
  public static InternalRow split(UTF8String line, int separator, int columns) {
    Object base = line.getBaseObject();
    long offset = line.getBaseOffset();
    int size = line.numBytes();
    byte sep = (byte) separator;
    int fields = 1;
    for (int i = 0; i < size; i++) {
      byte b = Platform.getByte(base, offset + i);
      if (b == sep) {
        fields++;
      } else if (b == '"' || b == '\\' || b == '\r' || b == 0) {
        return null;
      }
    }
    if (fields != columns) {
      return null;
    }
    // One copy of the line (its buffer is the scan's, reused for the next line); the fields are views of it.
    byte[] bytes = new byte[size];
    Platform.copyMemory(base, offset, bytes, Platform.BYTE_ARRAY_OFFSET, size);
    Object[] values = new Object[columns + 1];
    int field = 0;
    int start = 0;
    for (int i = 0; i <= size; i++) {
      if (i == size || bytes[i] == sep) {
        values[field++] = i > start ? UTF8String.fromBytes(bytes, start, i - start) : null;
        start = i + 1;
      }
    }
    return new GenericInternalRow(values);
  }

  /**
   * Register {@code name(line, separator, names)}: a struct of one STRING field per name (names separated by
   * U+001F, the last being the corrupt-record column, always null here), or null for a line that needs
   * from_csv. {@code separator} and {@code names} must be literals.
   */
  public static void register(SparkSession spark, String name) {
    scala.Function1<scala.collection.immutable.Seq<Expression>, Expression> builder =
        arguments -> {
          if (arguments.size() != 3
              || !arguments.apply(1).foldable()
              || !arguments.apply(2).foldable()) {
            throw new IllegalArgumentException(
                name + " takes (line, separator literal, field names literal)");
          }
          String separator = String.valueOf(arguments.apply(1).eval(null));
          char sep = separator.isEmpty() ? 0 : separator.charAt(0);
          if (separator.length() != 1
              || sep > 0x7f
              || sep == '"'
              || sep == '\\'
              || sep == '\r'
              || sep == 0) {
            // split() gives up on these bytes, so a separator among them would be read as text
            throw new IllegalArgumentException(
                name + ": the separator must be one ASCII character other than \", \\, CR and NUL");
          }
          StructType type = new StructType();
          String[] names = String.valueOf(arguments.apply(2).eval(null)).split("\u001f", -1);
          for (String field : names) {
            type = type.add(field, DataTypes.StringType, true);
          }
          List<Expression> inputs =
              List.of(
                  arguments.apply(0),
                  Literal$.MODULE$.create((int) sep, DataTypes.IntegerType),
                  Literal$.MODULE$.create(names.length - 1, DataTypes.IntegerType));
          List<AbstractDataType> types =
              List.of(DataTypes.StringType, DataTypes.IntegerType, DataTypes.IntegerType);
          Option<ScalarFunction<?>> none = Option.empty();
          return new StaticInvoke(
              CsvSplit.class,
              type,
              "split",
              CollectionConverters.asScala(inputs).toList(),
              CollectionConverters.asScala(types).toList(),
              true,
              true,
              true,
              none);
        };
    spark.sessionState().functionRegistry().createOrReplaceTempFunction(name, builder, "java_udf");
  }
}
