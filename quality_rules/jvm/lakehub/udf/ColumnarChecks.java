package lakehub.udf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.lang.reflect.Field;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.FileSourceScanExec;
import org.apache.spark.sql.execution.InputAdapter;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.columnar.InMemoryTableScanExec;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The columnar one pass: a suite's row rules evaluated straight over a file scan's or a cache scan's column
 * batches.
 *
 * <p>Spark's own pass turns every batch of a Parquet (or Delta) scan into rows before the generated code reads
 * them, and a string from a dictionary-encoded page is copied out of the dictionary for every row that
 * reads it — even for a null count; a cached frame's batches are copied into rows the same way. Here the
 * batches are read in place (a cache's through {@link CachedBatches}): a national-code check on a
 * dictionary-encoded column is computed once per dictionary entry, other values are read where they lie,
 * strings as bytes ({@link StringKernel}). Only plain scans qualify ({@link #scanOf}); the Python side
 * (lakehub.quality_rules.engine_columnar) sends only rules it can express as the kernels below and keeps the
 * row engine for everything else. Each kernel
 * states the same element/unexpected semantics as the rule's Spark expression; the tests run every kernel
 * against the row engine on the same files.
 *
 * <p>Program (JSON): {@code {"rules": [{"kind": ..., "cols": [i, j], "samples": [i, j], "cond": {...}|null,
 * "zone": ..., kernel fields (see Rule)}], "tables": [i, ...]}}, column positions in the scanned
 * selection. Result (JSON): rows, per rule element and unexpected counts and the raw texts of its first
 * failing rows in scan order (per sample column; masked by the caller, never logged), per table column its
 * non-null count and maximum.
 */
public final class ColumnarChecks {
  private ColumnarChecks() {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Field DICTIONARY;
  /** ParquetDictionary's Parquet dictionary: the same object for every batch of a column chunk (the wrapper is new
   * per batch), so results per entry are kept across batches; null where the field is absent. */
  private static final Field PARQUET_DICTIONARY;

  static {
    try {
      DICTIONARY = WritableColumnVector.class.getDeclaredField("dictionary");
      DICTIONARY.setAccessible(true);
    } catch (ReflectiveOperationException err) {
      throw new ExceptionInInitializerError(err);
    }
    Field inner = null;
    try {
      inner =
          Class.forName("org.apache.spark.sql.execution.datasources.parquet.ParquetDictionary")
              .getDeclaredField("dictionary");
      inner.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException err) {
      inner = null;
    }
    PARQUET_DICTIONARY = inner;
    Field bytes = null;
    try {
      bytes = OnHeapColumnVector.class.getDeclaredField("byteData");
      bytes.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException err) {
      bytes = null;
    }
    BYTE_DATA = bytes;
  }

  /** Where an on-heap string vector keeps its values' bytes (the child vector's byte array); null where the
   * field is absent (the values are then read as UTF8Strings). */
  private static final Field BYTE_DATA;

  /** The byte array holding a plain on-heap string vector's values, or null (read them as UTF8Strings). */
  static byte[] bytesOf(ColumnVector v) {
    if (BYTE_DATA == null || !(v instanceof OnHeapColumnVector) || ((OnHeapColumnVector) v).hasDictionary()) {
      return null;
    }
    WritableColumnVector data = ((OnHeapColumnVector) v).arrayData();
    try {
      return data instanceof OnHeapColumnVector ? (byte[]) BYTE_DATA.get(data) : null;
    } catch (IllegalAccessException err) {
      return null;
    }
  }

  /** The object whose identity names a dictionary across batches. */
  static Object dictionaryOf(WritableColumnVector vector) {
    try {
      Object dictionary = DICTIONARY.get(vector);
      if (PARQUET_DICTIONARY != null && PARQUET_DICTIONARY.getDeclaringClass().isInstance(dictionary)) {
        Object inner = PARQUET_DICTIONARY.get(dictionary);
        return inner == null ? dictionary : inner;
      }
      return dictionary;
    } catch (IllegalAccessException err) {
      throw new IllegalStateException(err);
    }
  }

  /**
   * The scan under a plan that only converts it to rows, when the pass can read its batches: a columnar
   * file scan without filters, or a cached frame's scan ({@link CachedBatches#readable}); else null.
   */
  static SparkPlan columnarScan(Dataset<Row> data) {
    SparkPlan plan = data.queryExecution().executedPlan();
    if (plan instanceof AdaptiveSparkPlanExec) { // a cached plan with an exchange inside: nothing to adapt above it
      plan = ((AdaptiveSparkPlanExec) plan).executedPlan();
      if (!(plan instanceof InMemoryTableScanExec)) {
        return null;
      }
    }
    if (plan instanceof WholeStageCodegenExec) {
      plan = ((WholeStageCodegenExec) plan).child();
    }
    if (plan instanceof ColumnarToRowExec) {
      plan = ((ColumnarToRowExec) plan).child();
    }
    if (plan instanceof InputAdapter) {
      plan = ((InputAdapter) plan).child();
    }
    if (!data.queryExecution().analyzed().output().equals(plan.output())) {
      return null;
    }
    if (plan instanceof InMemoryTableScanExec) {
      return CachedBatches.readable((InMemoryTableScanExec) plan) ? plan : null;
    }
    if (!(plan instanceof FileSourceScanExec) || !plan.supportsColumnar()) {
      return null;
    }
    FileSourceScanExec scan = (FileSourceScanExec) plan;
    if (!scan.dataFilters().isEmpty() || !scan.partitionFilters().isEmpty()) {
      return null;
    }
    return plan;
  }

  /** Whether `data` (a projection of the checked columns) is a plain file or cache scan the pass can read. */
  public static boolean scanOf(Dataset<Row> data) {
    return columnarScan(data) != null;
  }

  /**
   * How a cache scan's columns are stored (for tests and diagnosis): {@code {"batches": n, "schemes":
   * {column: [scheme, ...]}}}, the compression schemes found in each column's batches; null when `data` is
   * not a cache scan the pass can read.
   */
  public static String cacheLayout(Dataset<Row> data) throws Exception {
    SparkPlan scan = columnarScan(data);
    return scan instanceof InMemoryTableScanExec ? CachedBatches.layout((InMemoryTableScanExec) scan) : null;
  }

  /** Runs a program over `data`'s batches; the result JSON, or null when `data` is not a plain scan. */
  public static String run(Dataset<Row> data, String program, int sampleRows) throws Exception {
    SparkPlan scan = columnarScan(data);
    if (scan == null) {
      return null;
    }
    JsonNode spec = JSON.readTree(program);
    Rule[] rules = new Rule[spec.get("rules").size()];
    for (int r = 0; r < rules.length; r++) {
      rules[r] = new Rule(spec.get("rules").get(r));
    }
    int[] tables = new int[spec.get("tables").size()];
    for (int t = 0; t < tables.length; t++) {
      tables[t] = spec.get("tables").get(t).asInt();
    }
    JavaRDD<ColumnarBatch> batches =
        scan instanceof InMemoryTableScanExec
            ? CachedBatches.of((InMemoryTableScanExec) scan)
            : scan.executeColumnar().toJavaRDD();
    List<Tally> parts =
        batches
            .mapPartitions(
                (Iterator<ColumnarBatch> it) -> {
                  Tally tally = new Tally(rules, tables, sampleRows);
                  Evaluator evaluator = new Evaluator(rules);
                  while (it.hasNext()) {
                    evaluator.batch(it.next(), tally);
                  }
                  return Collections.singletonList(tally).iterator();
                })
            .collect();
    Tally total = new Tally(rules, tables, sampleRows);
    for (Tally part : parts) {
      total.add(part);
    }
    return total.json();
  }

  static final String[] KINDS = {
    "not_null", "resident_id", "uscc", "mobile", "admin_code", "regex", "in_set", "between", "bbox", "greater",
    "id_gender", "id_birth_date", "unique", "compound_unique"
  };
  static final int NOT_NULL = 0;
  static final int RESIDENT_ID = 1;
  static final int USCC_KIND = 2;
  static final int MOBILE_KIND = 3;
  static final int ADMIN_CODE = 4;
  static final int REGEX = 5;
  static final int IN_SET = 6;
  static final int BETWEEN = 7;
  static final int BBOX = 8;
  static final int GREATER = 9;
  static final int ID_GENDER = 10;
  static final int ID_BIRTH_DATE = 11;
  static final int UNIQUE = 12;
  static final int COMPOUND_UNIQUE = 13;

  /**
   * One rule as sent by Python. Shared fields by kind: `low`/`high` (+ `strict_*`) bound BETWEEN, and
   * `strict_low` makes GREATER strict (A > B rather than A >= B); `bounds` is BBOX's west, south, east,
   * north; `numbers` holds RESIDENT_ID's earliest and latest birth day (epoch days) or ADMIN_CODE's allowed
   * lengths; `texts` holds ADMIN_CODE's prefixes, IN_SET's values or ID_GENDER's male labels; `others`
   * ADMIN_CODE's value_set (null: none) or ID_GENDER's female labels; `keys` the repeated values of UNIQUE
   * (lists for COMPOUND_UNIQUE); `ignore` indexes IGNORE.
   */
  static final class Rule implements Serializable {
    final int kind;
    final int ignore;
    final int[] cols;
    final int[] samples;
    final double low;
    final double high;
    final long lowInteger;
    final long highInteger;
    final double[] bounds;
    /** BETWEEN on a decimal column: the bounds as exact decimals (whole numbers in the suite). */
    final java.math.BigDecimal lowDecimal;
    final java.math.BigDecimal highDecimal;
    /** Time zone that timestamps are shown in (Spark's session time zone). */
    final String zone;
    final boolean hasLow;
    final boolean hasHigh;
    final boolean strictLow;
    final boolean strictHigh;
    final long[] numbers;
    final UTF8String[] texts;
    final UTF8String[] others;
    final UTF8String pattern;
    final Condition cond;
    /** UNIQUE: the column's values that occur more than once (text or whole numbers, per the column). */
    final java.util.Set<Object> keys = new java.util.HashSet<>();

    Rule(JsonNode node) {
      kind = java.util.Arrays.asList(KINDS).indexOf(node.get("kind").asText());
      if (kind < 0) {
        throw new IllegalArgumentException("unknown kernel " + node.get("kind").asText());
      }
      cols = array(node.get("cols"), int[].class);
      samples = array(node.get("samples"), int[].class);
      ignore = java.util.Arrays.asList(IGNORE).indexOf(node.path("ignore").asText("neither"));
      hasLow = node.hasNonNull("low");
      hasHigh = node.hasNonNull("high");
      low = node.path("low").asDouble(0);
      high = node.path("high").asDouble(0);
      lowInteger = node.path("low").asLong(0);
      highInteger = node.path("high").asLong(0);
      bounds = array(node.get("bounds"), double[].class);
      lowDecimal = hasLow ? new java.math.BigDecimal(node.get("low").asText()) : null;
      highDecimal = hasHigh ? new java.math.BigDecimal(node.get("high").asText()) : null;
      zone = node.path("zone").asText("UTC");
      strictLow = node.path("strict_low").asBoolean(false);
      strictHigh = node.path("strict_high").asBoolean(false);
      numbers = array(node.get("numbers"), long[].class);
      texts = strings(node.get("texts"));
      others = strings(node.get("others"));
      pattern = node.hasNonNull("pattern") ? UTF8String.fromString(node.get("pattern").asText()) : null;
      cond = node.hasNonNull("cond") ? new Condition(node.get("cond")) : null;
      if (node.hasNonNull("keys")) {
        for (JsonNode key : node.get("keys")) {
          if (key.isArray()) {
            List<Object> parts = new ArrayList<>();
            for (JsonNode part : key) {
              parts.add(keyPart(part));
            }
            keys.add(parts);
          } else {
            keys.add(keyPart(key));
          }
        }
      }
    }

    private static Object keyPart(JsonNode part) {
      return part.isNull() ? null : part.isTextual() ? UTF8String.fromString(part.asText()) : (Object) part.asLong();
    }

    /** A JSON array as a Java array of `type` (empty when absent). */
    private static <T> T array(JsonNode node, Class<T> type) {
      return JSON.convertValue(node == null || node.isNull() ? JSON.createArrayNode() : node, type);
    }

    private static UTF8String[] strings(JsonNode node) {
      if (node == null || node.isNull()) {
        return null;
      }
      UTF8String[] out = new UTF8String[node.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = UTF8String.fromString(node.get(i).asText());
      }
      return out;
    }
  }

  /** A row_condition `column OP number` on a numeric column; null compares false (coalesce(cond, false)). */
  static final class Condition implements Serializable {
    final int col;
    final int op;
    final double value;
    final long whole;
    final UTF8String text;

    Condition(JsonNode node) {
      col = node.get("col").asInt();
      op = java.util.Arrays.asList(">", ">=", "<", "<=", "=", "!=").indexOf(node.get("op").asText());
      if (op < 0) {
        throw new IllegalArgumentException("unknown comparison " + node.get("op").asText());
      }
      value = node.get("value").asDouble();
      whole = node.get("value").asLong();
      text = node.get("value").isTextual() ? UTF8String.fromString(node.get("value").asText()) : null;
    }

    boolean test(ColumnVector v, int row) {
      if (v.isNullAt(row)) {
        return false;
      }
      int c;
      if (text != null) {
        c = v.getUTF8String(row).equals(text) ? 0 : 1; // only = and != are sent for text
      } else if (integral(v.dataType())) {
        c = Long.compare(whole(v, row), whole);
      } else {
        c = compare(number(v, row), value);
      }
      switch (op) {
        case 0:
          return c > 0;
        case 1:
          return c >= 0;
        case 2:
          return c < 0;
        case 3:
          return c <= 0;
        case 4:
          return c == 0;
        default:
          return c != 0;
      }
    }
  }

  /** Spark's ordering of doubles: NaN equals NaN and is above every other value; -0.0 equals 0.0. */
  static int compare(double a, double b) {
    if (a < b) {
      return -1;
    }
    if (a > b) {
      return 1;
    }
    if (a == b) {
      return 0;
    }
    boolean nanA = Double.isNaN(a);
    boolean nanB = Double.isNaN(b);
    return nanA == nanB ? 0 : nanA ? 1 : -1;
  }

  /** Whether a column's values compare as whole numbers (integers, dates as days, timestamps as microseconds). */
  static boolean integral(DataType type) {
    return type == DataTypes.LongType
        || type == DataTypes.IntegerType
        || type == DataTypes.ShortType
        || type == DataTypes.ByteType
        || type == DataTypes.DateType
        || type == DataTypes.TimestampType
        || type == DataTypes.TimestampNTZType;
  }

  static long whole(ColumnVector v, int row) {
    DataType type = v.dataType();
    if (type == DataTypes.LongType || type == DataTypes.TimestampType || type == DataTypes.TimestampNTZType) {
      return v.getLong(row);
    }
    if (type == DataTypes.IntegerType || type == DataTypes.DateType) {
      return v.getInt(row);
    }
    if (type == DataTypes.ShortType) {
      return v.getShort(row);
    }
    return v.getByte(row);
  }

  /** A numeric value as a double (the whole-number types through `whole`). */
  static double number(ColumnVector v, int row) {
    DataType type = v.dataType();
    if (type == DataTypes.DoubleType) {
      return v.getDouble(row);
    }
    if (type == DataTypes.FloatType) {
      return v.getFloat(row);
    }
    return whole(v, row);
  }

  /** A value as Spark's CAST(... AS STRING) shows it (the types the Python side sends), null for null. */
  static String text(ColumnVector v, int row, String zone) {
    if (v.isNullAt(row)) {
      return null;
    }
    DataType type = v.dataType();
    if (type == DataTypes.StringType) {
      return v.getUTF8String(row).toString();
    }
    if (type == DataTypes.DateType) {
      return LocalDate.ofEpochDay(v.getInt(row)).toString();
    }
    if (type == DataTypes.DoubleType) {
      return Double.toString(v.getDouble(row));
    }
    if (type == DataTypes.FloatType) {
      return Float.toString(v.getFloat(row));
    }
    if (type == DataTypes.LongType) {
      return Long.toString(v.getLong(row));
    }
    if (type instanceof DecimalType) {
      DecimalType decimal = (DecimalType) type;
      return v.getDecimal(row, decimal.precision(), decimal.scale()).toString();
    }
    if (type == DataTypes.TimestampType || type == DataTypes.TimestampNTZType) {
      long micros = v.getLong(row);
      java.time.LocalDateTime at =
          java.time.LocalDateTime.ofEpochSecond(
              Math.floorDiv(micros, 1_000_000L),
              (int) Math.floorMod(micros, 1_000_000L) * 1000,
              type == DataTypes.TimestampType
                  ? java.time.ZoneId.of(zone)
                      .getRules()
                      .getOffset(java.time.Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L)))
                  : java.time.ZoneOffset.UTC);
      return TIMESTAMP.format(at);
    }
    return Long.toString(whole(v, row));
  }

  /** Spark's CAST(timestamp AS STRING): seconds, then a fraction only when non-zero, trailing zeros dropped. */
  static final java.time.format.DateTimeFormatter TIMESTAMP =
      new java.time.format.DateTimeFormatterBuilder()
          .appendPattern("yyyy-MM-dd HH:mm:ss")
          .appendFraction(java.time.temporal.ChronoField.NANO_OF_SECOND, 0, 6, true)
          .toFormatter();

  /**
   * Per-value results of a string kernel for one batch's column: computed once per dictionary entry when the
   * column is dictionary-encoded (reset when the dictionary changes), else once per value.
   */
  static final class Memo {
    private Object dictionary;
    private long[] codes = new long[0];
    private boolean[] known = new boolean[0];

    long[] fill(ColumnVector v, int rows, StringKernel kernel, long[] out) {
      WritableColumnVector ids = null;
      int[] cachedIds = null;
      Object current = null;
      if (v instanceof WritableColumnVector && ((WritableColumnVector) v).hasDictionary()) {
        WritableColumnVector wv = (WritableColumnVector) v;
        ids = wv.getDictionaryIds();
        current = dictionaryOf(wv);
      } else if (v instanceof CachedBatches.Column && ((CachedBatches.Column) v).dictionary() != null) {
        cachedIds = ((CachedBatches.Column) v).dictionaryIds();
        current = ((CachedBatches.Column) v).dictionary();
      }
      if (current != null && current != dictionary) {
        dictionary = current;
        java.util.Arrays.fill(known, false);
      }
      // Strings read where a cached buffer or a plain Parquet page's vector keeps them.
      CachedBatches.Column cached =
          current == null && v instanceof CachedBatches.Column && ((CachedBatches.Column) v).data() != null
              ? (CachedBatches.Column) v
              : null;
      byte[] plain = current == null ? bytesOf(v) : null;
      for (int i = 0; i < rows; i++) {
        if (v.isNullAt(i)) {
          out[i] = kernel == FACTS ? CnResidentIdFacts.MALFORMED : 0;
        } else if (cached != null) {
          out[i] = kernel.of(cached.data(), cached.offset(i), cached.length(i));
        } else if (plain != null) {
          WritableColumnVector wv = (WritableColumnVector) v;
          out[i] = kernel.of(plain, Platform.BYTE_ARRAY_OFFSET + wv.getArrayOffset(i), wv.getArrayLength(i));
        } else if (current == null) {
          out[i] = of(kernel, v, i);
        } else {
          int id = ids != null ? ids.getDictId(i) : cachedIds[i];
          if (id >= known.length) {
            int size = Math.max(id + 1, known.length * 2);
            codes = java.util.Arrays.copyOf(codes, size);
            known = java.util.Arrays.copyOf(known, size);
          }
          if (!known[id]) {
            codes[id] = of(kernel, v, i);
            known[id] = true;
          }
          out[i] = codes[id];
        }
      }
      return out;
    }
  }

  /** A kernel on a vector's non-null value. */
  static long of(StringKernel kernel, ColumnVector v, int row) {
    UTF8String value = v.getUTF8String(row);
    return kernel.of(value.getBaseObject(), value.getBaseOffset(), value.numBytes());
  }

  /**
   * A per-value function of a non-null string, as a long (see Memo), on its UTF-8 bytes where they lie
   * (`length` bytes at `offset` of `base`, as Platform reads them): a cached column's strings are checked
   * without making a UTF8String of each (whose constructor alone — four volatile fields — cost more than
   * most checks).
   */
  interface StringKernel {
    long of(Object base, long offset, int length);
  }

  static final StringKernel FACTS = CnResidentIdFacts::of;
  static final StringKernel USCC = (base, offset, length) -> CnUsccValid.of(base, offset, length) ? 1 : 0;
  static final StringKernel MOBILE = (base, offset, length) -> CnMobileValid.of(base, offset, length) ? 1 : 0;

  /** 1 when a value is an allowed admin code: length, known province, prefix, value_set (cn_spark's form). */
  static StringKernel adminCode(Rule rule) {
    return (base, offset, size) -> {
      int length = CnAdminCodeLength.of(base, offset, size);
      boolean ok = false;
      for (long allowed : rule.numbers) {
        ok |= length == allowed;
      }
      if (ok && rule.texts != null && rule.texts.length > 0) {
        boolean prefixed = false;
        for (UTF8String prefix : rule.texts) {
          prefixed |= startsWith(base, offset, size, prefix);
        }
        ok = prefixed;
      }
      return ok && (rule.others == null || in(base, offset, size, rule.others)) ? 1 : 0;
    };
  }

  /** Bit 0: the value is one of rule.texts; bit 1: one of rule.others (gender labels, value sets). */
  static StringKernel membership(Rule rule) {
    return (base, offset, length) ->
        (rule.texts != null && in(base, offset, length, rule.texts) ? 1 : 0)
            | (rule.others != null && in(base, offset, length, rule.others) ? 2 : 0);
  }

  static StringKernel regex(Rule rule) {
    RegexFind.Finder finder = new RegexFind.Finder(rule.pattern);
    return (base, offset, length) -> finder.find(base, offset, length) ? 1 : 0;
  }

  /** Evaluates the rules batch by batch inside one task. */
  static final class Evaluator {
    private final Rule[] rules;
    /** Per kernel and column: results per dictionary entry, kept across batches. */
    private final Map<String, Memo> memos = new HashMap<>();
    /** Per kernel and column: this batch's results, shared by rules asking for the same. */
    private final Map<String, long[]> perBatch = new HashMap<>();
    private final StringKernel[] ruleKernels;
    private boolean[] when = new boolean[0];

    Evaluator(Rule[] rules) {
      this.rules = rules;
      ruleKernels = new StringKernel[rules.length];
      for (int r = 0; r < rules.length; r++) {
        Rule rule = rules[r];
        switch (rule.kind) {
          case ADMIN_CODE:
            ruleKernels[r] = adminCode(rule);
            break;
          case IN_SET:
          case ID_GENDER:
            ruleKernels[r] = membership(rule);
            break;
          case REGEX:
            ruleKernels[r] = regex(rule);
            break;
          case UNIQUE:
            ruleKernels[r] =
                (base, offset, length) -> rule.keys.contains(UTF8String.fromAddress(base, offset, length)) ? 0 : 1;
            break;
          default:
            ruleKernels[r] = null;
        }
      }
    }

    /** A kernel's results over one batch's column (nulls: MALFORMED for FACTS, else 0). */
    private long[] codes(String key, ColumnVector v, int rows, StringKernel kernel) {
      long[] out = perBatch.get(key);
      if (out == null) {
        out = new long[rows];
        memos.computeIfAbsent(key, k -> new Memo()).fill(v, rows, kernel, out);
        perBatch.put(key, out);
      }
      return out;
    }

    void batch(ColumnarBatch batch, Tally tally) {
      int rows = batch.numRows();
      perBatch.clear();
      if (when.length < rows) {
        when = new boolean[rows];
      }
      tally.rows += rows;
      for (int t = 0; t < tally.tables.length; t++) {
        ColumnVector v = batch.column(tally.tables[t]);
        for (int i = 0; i < rows; i++) {
          if (!v.isNullAt(i)) {
            tally.nonNull[t]++;
            long value = whole(v, i);
            if (!tally.hasMax[t] || value > tally.max[t]) {
              tally.max[t] = value;
              tally.hasMax[t] = true;
            }
          }
        }
      }
      for (int r = 0; r < rules.length; r++) {
        rule(r, batch, rows, tally);
      }
    }

    /** The rows a rule looks at: all, or those where its row_condition holds. */
    private boolean[] condition(Rule rule, ColumnarBatch batch, int rows) {
      if (rule.cond == null) {
        return null;
      }
      ColumnVector v = batch.column(rule.cond.col);
      for (int i = 0; i < rows; i++) {
        when[i] = rule.cond.test(v, i);
      }
      return when;
    }

    private void rule(int r, ColumnarBatch batch, int rows, Tally tally) {
      Rule rule = rules[r];
      ColumnVector a = batch.column(rule.cols[0]);
      ColumnVector b = rule.cols.length > 1 ? batch.column(rule.cols[1]) : null;
      boolean[] looked = condition(rule, batch, rows);
      String column = Integer.toString(rule.cols[0]);
      long elements = 0;
      long unexpected = 0;
      switch (rule.kind) {
        case NOT_NULL:
          for (int i = 0; i < rows; i++) {
            if (looked == null || looked[i]) {
              elements++;
              if (a.isNullAt(i)) {
                unexpected++;
                tally.sample(r, batch, i);
              }
            }
          }
          break;
        case RESIDENT_ID:
        case USCC_KIND:
        case MOBILE_KIND:
        case ADMIN_CODE:
        case REGEX:
        case IN_SET:
          {
            long[] codes = valueCodes(r, rule, a, rows, column);
            for (int i = 0; i < rows; i++) {
              if ((looked == null || looked[i]) && !a.isNullAt(i)) {
                elements++;
                if (!valueOk(rule, codes[i])) {
                  unexpected++;
                  tally.sample(r, batch, i);
                }
              }
            }
            break;
          }
        case UNIQUE:
          if (!integral(a.dataType())) {
            long[] codes = codes("rule:" + r, a, rows, ruleKernels[r]);
            for (int i = 0; i < rows; i++) {
              if ((looked == null || looked[i]) && !a.isNullAt(i)) {
                elements++;
                if (codes[i] == 0) {
                  unexpected++;
                  tally.sample(r, batch, i);
                }
              }
            }
            break;
          }
          for (int i = 0; i < rows; i++) {
            if ((looked == null || looked[i]) && !a.isNullAt(i)) {
              elements++;
              if (rule.keys.contains(whole(a, i))) {
                unexpected++;
                tally.sample(r, batch, i);
              }
            }
          }
          break;
        case COMPOUND_UNIQUE:
          {
            ColumnVector[] parts = new ColumnVector[rule.cols.length];
            for (int p = 0; p < parts.length; p++) {
              parts[p] = batch.column(rule.cols[p]);
            }
            for (int i = 0; i < rows; i++) {
              List<Object> key = new ArrayList<>(parts.length);
              int present = 0;
              for (ColumnVector part : parts) {
                if (part.isNullAt(i)) {
                  key.add(null);
                } else {
                  present++;
                  key.add(integral(part.dataType()) ? (Object) whole(part, i) : part.getUTF8String(i));
                }
              }
              if (multiElement(rule.ignore, present, parts.length)) {
                elements++;
                if (rule.keys.contains(key)) {
                  unexpected++;
                  tally.sample(r, batch, i);
                }
              }
            }
            break;
          }
        case BETWEEN:
          for (int i = 0; i < rows; i++) {
            if ((looked == null || looked[i]) && !a.isNullAt(i)) {
              elements++;
              if (!between(rule, a, i)) {
                unexpected++;
                tally.sample(r, batch, i);
              }
            }
          }
          break;
        default:
          {
            long[] facts =
                rule.kind == ID_GENDER || rule.kind == ID_BIRTH_DATE
                    ? codes("facts:" + column, a, rows, FACTS)
                    : null;
            long[] labels =
                rule.kind == ID_GENDER
                    ? codes("rule:" + r, b, rows, ruleKernels[r])
                    : null;
            for (int i = 0; i < rows; i++) {
              if (looked != null && !looked[i]) {
                continue;
              }
              boolean aPresent = !a.isNullAt(i);
              boolean bPresent = !b.isNullAt(i);
              if (pairElement(rule.ignore, aPresent, bPresent)) {
                elements++;
                if (!pairOk(rule, a, b, aPresent, bPresent, facts, labels, i)) {
                  unexpected++;
                  tally.sample(r, batch, i);
                }
              }
            }
          }
      }
      tally.elements[r] += elements;
      tally.unexpected[r] += unexpected;
    }

    private long[] valueCodes(int r, Rule rule, ColumnVector a, int rows, String column) {
      switch (rule.kind) {
        case RESIDENT_ID:
          return codes("facts:" + column, a, rows, FACTS);
        case USCC_KIND:
          return codes("uscc:" + column, a, rows, USCC);
        case MOBILE_KIND:
          return codes("mobile:" + column, a, rows, MOBILE);
        default:
          return codes("rule:" + r, a, rows, ruleKernels[r]);
      }
    }
  }

  /** GE's ignore_row_if values for pairs, by index. */
  static final String[] IGNORE = {
    "neither", "both_values_are_missing", "either_value_is_missing", "never", "all_values_are_missing",
    "any_value_is_missing"
  };

  /** Pair rules: which rows are elements (GE's ignore_row_if). */
  static boolean pairElement(int ignore, boolean aPresent, boolean bPresent) {
    switch (ignore) {
      case 1:
        return aPresent || bPresent;
      case 2:
        return aPresent && bPresent;
      default:
        return true;
    }
  }

  /** Multi-column rules: which rows are elements (GE's ignore_row_if for column lists). */
  static boolean multiElement(int ignore, int present, int columns) {
    switch (ignore) {
      case 4:
        return present > 0;
      case 5:
        return present == columns;
      default:
        return true;
    }
  }

  static boolean in(Object base, long offset, int length, UTF8String[] set) {
    for (UTF8String item : set) {
      if (length == item.numBytes() && startsWith(base, offset, length, item)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the `length` bytes at `vo` of `vb` begin with the bytes of `prefix` (UTF8String's startsWith,
   * without a UTF8String for the value); the sets and prefixes of rules are a few short values, compared 8
   * bytes at a time, then byte by byte.
   */
  static boolean startsWith(Object vb, long vo, int length, UTF8String prefix) {
    int n = prefix.numBytes();
    if (length < n) {
      return false;
    }
    Object pb = prefix.getBaseObject();
    long po = prefix.getBaseOffset();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
      if (Platform.getLong(vb, vo + i) != Platform.getLong(pb, po + i)) {
        return false;
      }
    }
    for (; i < n; i++) {
      if (Platform.getByte(vb, vo + i) != Platform.getByte(pb, po + i)) {
        return false;
      }
    }
    return true;
  }

  /** Whether a non-null value passes a one-column kernel, given the kernel's result for it. */
  static boolean valueOk(Rule rule, long code) {
    if (rule.kind == RESIDENT_ID) {
      long day = code / 100 - CnResidentIdFacts.DAY_OFFSET;
      return code >= 0
          && code % 100 >= 10
          && code / 100 != 0
          && day >= rule.numbers[0]
          && day <= rule.numbers[1];
    }
    return (code & 1) == 1;
  }

  static boolean between(Rule rule, ColumnVector a, int i) {
    int low;
    int high;
    if (a.dataType() instanceof DecimalType) {
      DecimalType decimal = (DecimalType) a.dataType();
      java.math.BigDecimal value = a.getDecimal(i, decimal.precision(), decimal.scale()).toJavaBigDecimal();
      low = rule.hasLow ? value.compareTo(rule.lowDecimal) : 0;
      high = rule.hasHigh ? value.compareTo(rule.highDecimal) : 0;
    } else if (integral(a.dataType())) {
      long value = whole(a, i);
      low = Long.compare(value, rule.lowInteger);
      high = Long.compare(value, rule.highInteger);
    } else {
      double value = number(a, i);
      low = compare(value, rule.low);
      high = compare(value, rule.high);
    }
    return (!rule.hasLow || (rule.strictLow ? low > 0 : low >= 0))
        && (!rule.hasHigh || (rule.strictHigh ? high < 0 : high <= 0));
  }

  /** Whether an element row passes a pair kernel (a missing value fails unless the kernel says otherwise). */
  static boolean pairOk(
      Rule rule,
      ColumnVector a,
      ColumnVector b,
      boolean aPresent,
      boolean bPresent,
      long[] facts,
      long[] labels,
      int i) {
    switch (rule.kind) {
      case BBOX:
        {
          if (!aPresent || !bPresent) {
            return false;
          }
          double lon = number(a, i);
          double lat = number(b, i);
          double[] box = rule.bounds; // west, south, east, north
          return compare(lon, box[0]) >= 0
              && compare(lon, box[2]) <= 0
              && compare(lat, box[1]) >= 0
              && compare(lat, box[3]) <= 0;
        }
      case GREATER:
        {
          if (!aPresent || !bPresent) {
            return false;
          }
          int c =
              integral(a.dataType())
                  ? Long.compare(whole(a, i), whole(b, i))
                  : compare(number(a, i), number(b, i));
          return rule.strictLow ? c > 0 : c >= 0;
        }
      case ID_GENDER:
        {
          if (facts[i] < 0) {
            return true; // a malformed or missing ID is the ID rule's business
          }
          if (!bPresent) {
            return false;
          }
          boolean odd = facts[i] % 2 == 1;
          long label = labels[i]; // bit 0: a male label, bit 1: a female label
          return !(odd ? (label & 2) != 0 : (label & 1) != 0);
        }
      case ID_BIRTH_DATE:
        {
          long day = facts[i] / 100;
          if (facts[i] < 0 || day == 0) {
            return true; // malformed ID or no real birth date: the ID rule's business
          }
          return bPresent && day - CnResidentIdFacts.DAY_OFFSET == b.getInt(i);
        }
      default:
        throw new IllegalArgumentException("unknown kernel " + KINDS[rule.kind]);
    }
  }

  /** Per-task (then total) counts, table aggregates and sample texts. */
  static final class Tally implements Serializable {
    final int[] tables;
    final int sampleRows;
    long rows;
    final long[] elements;
    final long[] unexpected;
    final long[] nonNull;
    final long[] max;
    final boolean[] hasMax;
    final int[][] sampleColumns;
    final String[] zones;
    final List<List<String[]>> samples = new ArrayList<>();

    Tally(Rule[] rules, int[] tables, int sampleRows) {
      this.tables = tables;
      this.sampleRows = sampleRows;
      elements = new long[rules.length];
      unexpected = new long[rules.length];
      nonNull = new long[tables.length];
      max = new long[tables.length];
      hasMax = new boolean[tables.length];
      sampleColumns = new int[rules.length][];
      zones = new String[rules.length];
      for (int r = 0; r < rules.length; r++) {
        sampleColumns[r] = rules[r].samples;
        zones[r] = rules[r].zone;
        samples.add(new ArrayList<>());
      }
    }

    void sample(int r, ColumnarBatch batch, int row) {
      List<String[]> kept = samples.get(r);
      if (sampleColumns[r].length == 0 || kept.size() >= sampleRows) {
        return;
      }
      String[] parts = new String[sampleColumns[r].length];
      for (int p = 0; p < parts.length; p++) {
        parts[p] = text(batch.column(sampleColumns[r][p]), row, zones[r]);
      }
      kept.add(parts);
    }

    void add(Tally other) {
      rows += other.rows;
      for (int r = 0; r < elements.length; r++) {
        elements[r] += other.elements[r];
        unexpected[r] += other.unexpected[r];
        List<String[]> kept = samples.get(r);
        for (String[] parts : other.samples.get(r)) {
          if (kept.size() < sampleRows) {
            kept.add(parts);
          }
        }
      }
      for (int t = 0; t < tables.length; t++) {
        nonNull[t] += other.nonNull[t];
        if (other.hasMax[t] && (!hasMax[t] || other.max[t] > max[t])) {
          max[t] = other.max[t];
          hasMax[t] = true;
        }
      }
    }

    String json() throws Exception {
      ObjectNode out = JSON.createObjectNode();
      out.put("rows", rows);
      ArrayNode rules = out.putArray("rules");
      for (int r = 0; r < elements.length; r++) {
        ObjectNode rule = rules.addObject();
        rule.put("element", elements[r]);
        rule.put("unexpected", unexpected[r]);
        ArrayNode texts = rule.putArray("samples");
        for (String[] parts : samples.get(r)) {
          ArrayNode row = texts.addArray();
          for (String part : parts) {
            row.add(part);
          }
        }
      }
      ArrayNode columns = out.putArray("tables");
      for (int t = 0; t < tables.length; t++) {
        ObjectNode column = columns.addObject();
        column.put("non_null", nonNull[t]);
        if (hasMax[t]) {
          column.put("max", max[t]);
        } else {
          column.putNull("max");
        }
      }
      return JSON.writeValueAsString(out);
    }
  }
}
