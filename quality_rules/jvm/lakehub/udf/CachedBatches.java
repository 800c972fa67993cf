package lakehub.udf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.SpecificInternalRow;
import org.apache.spark.sql.columnar.CachedBatch;
import org.apache.spark.sql.execution.columnar.ColumnAccessor;
import org.apache.spark.sql.execution.columnar.DefaultCachedBatch;
import org.apache.spark.sql.execution.columnar.DefaultCachedBatchSerializer;
import org.apache.spark.sql.execution.columnar.InMemoryTableScanExec;
import org.apache.spark.sql.execution.columnar.compression.CompressionScheme$;
import org.apache.spark.sql.execution.columnar.compression.DictionaryEncoding$;
import org.apache.spark.sql.execution.columnar.compression.PassThrough$;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarArray;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.sql.vectorized.ColumnarMap;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * A cached frame's batches as column batches, read where the cache keeps them.
 *
 * <p>Spark's scan of a cached frame hands rows on: its generated accessor copies every value, strings
 * included, into an UnsafeRow before any check reads it (its columnar output exists only for frames of
 * primitive columns). Here each cached batch's column buffers are decoded column by column ({@link Decoder}):
 * numbers, dates and timestamps by Spark's own bulk decompression into an on-heap column vector; strings,
 * plain or dictionary-encoded, by reading the buffer's layout into where each value's bytes lie (never
 * copied; the kernels read them in place); anything else — decimals, other schemes of a compressed cache —
 * through Spark's column accessors, value by value, so every scheme is read as Spark reads it. The vectors
 * are reused batch after batch within a task; a batch is valid until the iterator moves on, as Spark's own
 * column batches are.
 */
final class CachedBatches {
  private CachedBatches() {}

  /** Whether a cached scan can be read here: the default cache format, no pruning predicate, atomic types. */
  static boolean readable(InMemoryTableScanExec scan) {
    if (!(scan.relation().cacheBuilder().serializer() instanceof DefaultCachedBatchSerializer)
        || !scan.predicates().isEmpty()) {
      return false;
    }
    for (int i = 0; i < scan.attributes().length(); i++) {
      if (kind(scan.attributes().apply(i).dataType()) < 0) {
        return false;
      }
    }
    return true;
  }

  /** The scan's batches (its attributes, in order) as column batches. */
  static JavaRDD<ColumnarBatch> of(InMemoryTableScanExec scan) {
    int[] buffers = buffers(scan);
    DataType[] types = new DataType[buffers.length];
    for (int i = 0; i < types.length; i++) {
      types[i] = scan.attributes().apply(i).dataType();
    }
    int width = buffers.length;
    JavaRDD<CachedBatch> cached = scan.baseCacheRDD().toJavaRDD();

    return cached.mapPartitions(
        (Iterator<CachedBatch> it) -> {
          Decoder[] decoders = new Decoder[width];
          for (int i = 0; i < width; i++) {
            decoders[i] = new Decoder(types[i]);
          }
          ColumnVector[] columns = new ColumnVector[width];
          return new Iterator<ColumnarBatch>() {
            @Override
            public boolean hasNext() {
              return it.hasNext();
            }

            @Override
            public ColumnarBatch next() {
              DefaultCachedBatch next = (DefaultCachedBatch) it.next();
              for (int i = 0; i < width; i++) {
                columns[i] = decoders[i].decode(next.buffers()[buffers[i]], next.numRows());
              }
              return new ColumnarBatch(columns, next.numRows());
            }
          };
        });
  }

  /** Where each of the scan's attributes is among the cached batch's buffers. */
  private static int[] buffers(InMemoryTableScanExec scan) {
    int[] buffers = new int[scan.attributes().length()];
    for (int i = 0; i < buffers.length; i++) {
      Attribute wanted = scan.attributes().apply(i);
      buffers[i] = -1;
      for (int j = 0; j < scan.relation().output().length(); j++) {
        if (scan.relation().output().apply(j).exprId().equals(wanted.exprId())) {
          buffers[i] = j;
        }
      }
      if (buffers[i] < 0) {
        throw new IllegalStateException("cached column not found: " + wanted.name());
      }
    }
    return buffers;
  }

  /** The compression schemes of each attribute's buffers over all batches, as JSON (ColumnarChecks.cacheLayout). */
  static String layout(InMemoryTableScanExec scan) throws Exception {
    int[] buffers = buffers(scan);
    List<List<Integer>> found =
        scan.baseCacheRDD()
            .toJavaRDD()
            .map(
                (CachedBatch batch) -> {
                  List<Integer> schemes = new ArrayList<>();
                  for (int buffer : buffers) {
                    schemes.add(scheme(header(((DefaultCachedBatch) batch).buffers()[buffer])));
                  }
                  return schemes;
                })
            .collect();
    ObjectNode out = JSON.createObjectNode();
    out.put("batches", found.size());
    ObjectNode schemes = out.putObject("schemes");
    for (int i = 0; i < buffers.length; i++) {
      java.util.TreeSet<String> names = new java.util.TreeSet<>();
      for (List<Integer> batch : found) {
        names.add(CompressionScheme$.MODULE$.apply(batch.get(i)).getClass().getSimpleName().replace("$", ""));
      }
      ArrayNode list = schemes.putArray(scan.attributes().apply(i).name());
      names.forEach(list::add);
    }
    return JSON.writeValueAsString(out);
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A column buffer as Spark's nullable, compressible column builders write it, read from its start: the
   * null count (int), that many null positions (ints), the compression scheme's id (int), then the scheme's
   * data. The buffer is in native order and positioned after the null count.
   */
  private static ByteBuffer header(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    buffer.getInt();
    return buffer;
  }

  /** The compression scheme id of a buffer from {@link #header}. */
  private static int scheme(ByteBuffer buffer) {
    return buffer.getInt(4 + 4 * buffer.getInt(0));
  }

  /**
   * One column's decoding, batch after batch: numbers, dates and timestamps by Spark's bulk decompression
   * into an on-heap column vector (as Spark's own columnar cache reader does for primitive columns), falling
   * back for good to a {@link Column} when a compression scheme has no bulk form for the type; strings and
   * decimals always into a {@link Column}.
   */
  static final class Decoder {
    private final DataType type;
    private Column column;
    private OnHeapColumnVector vector;
    private int capacity;

    Decoder(DataType type) {
      this.type = type;
      if (kind(type) == OBJECT) {
        column = new Column(type);
      }
    }

    ColumnVector decode(byte[] buffer, int rows) {
      if (column == null) {
        if (vector == null || capacity < rows) {
          vector = new OnHeapColumnVector(rows, type);
          capacity = rows;
        } else {
          vector.reset();
          vector.setDictionary(null); // the last batch's, if it was dictionary-encoded
        }
        try {
          ColumnAccessor.decompress(buffer, vector, type, rows);
          return vector;
        } catch (RuntimeException err) { // a scheme without decompression for this type (compressed caches)
          column = new Column(type);
        }
      }
      column.decode(buffer, rows);
      return column;
    }
  }

  private static final int PLAIN_SCHEME = PassThrough$.MODULE$.typeId();
  private static final int DICTIONARY_SCHEME = DictionaryEncoding$.MODULE$.typeId();
  private static final int BOOLEAN = 0;
  private static final int WHOLE = 1;
  private static final int FRACTION = 2;
  private static final int OBJECT = 3;

  /** How a type is held: BOOLEAN, WHOLE (long[]), FRACTION (double[]), OBJECT (strings, decimals); -1: not
   * read here. */
  static int kind(DataType type) {
    if (type instanceof BooleanType) {
      return BOOLEAN;
    }
    if (ColumnarChecks.integral(type)) {
      return WHOLE;
    }
    if (type instanceof FloatType || type instanceof DoubleType) {
      return FRACTION;
    }
    if (type instanceof StringType || type instanceof DecimalType) {
      return OBJECT;
    }
    return -1;
  }

  /** One cached column of one batch (strings from the buffer's layout, the rest by Spark's accessor), in arrays
   * reused across batches. */
  static final class Column extends ColumnVector {
    private final int kind;
    private final SpecificInternalRow cell;
    private boolean[] nulls = new boolean[0];
    private long[] wholes = new long[0];
    private double[] fractions = new double[0];
    private Object[] objects = new Object[0];
    private int nullCount;
    private int[] ids = new int[0];
    private Object dictionary;
    private byte[] data;
    private int[] starts = new int[0];
    private int[] lengths = new int[0];

    Column(DataType type) {
      super(type);
      kind = kind(type);
      cell = new SpecificInternalRow(new StructType().add("value", type));
    }

    void decode(byte[] buffer, int rows) {
      if (nulls.length < rows) {
        nulls = new boolean[rows];
        if (kind == WHOLE || kind == BOOLEAN) {
          wholes = new long[rows];
        } else if (kind == FRACTION) {
          fractions = new double[rows];
        } else {
          objects = new Object[rows];
          ids = new int[rows];
          starts = new int[rows];
          lengths = new int[rows];
        }
      }
      dictionary = null;
      data = null;
      if (type instanceof StringType && stringsRead(buffer, rows)) {
        return;
      }
      ColumnAccessor accessor = ColumnAccessor.apply(type, ByteBuffer.wrap(buffer));
      nullCount = 0;
      for (int i = 0; i < rows; i++) {
        accessor.extractTo(cell, 0);
        boolean none = cell.isNullAt(0);
        nulls[i] = none;
        if (none) {
          nullCount++;
          if (kind == OBJECT) {
            objects[i] = null;
          }
          continue;
        }
        switch (kind) {
          case BOOLEAN:
            wholes[i] = cell.getBoolean(0) ? 1 : 0;
            break;
          case WHOLE:
            wholes[i] = wholeOf(cell);
            break;
          case FRACTION:
            fractions[i] = type instanceof FloatType ? cell.getFloat(0) : cell.getDouble(0);
            break;
          default:
            objects[i] = cell.get(0, type);
        }
      }
    }

    /**
     * A string column stored plain or dictionary-encoded, read without an accessor per value: the layout of
     * Spark's nullable, compressible column buffers (null count, null positions, scheme id, then the
     * scheme's data: the non-null values, or a dictionary and one short per non-null value; a string is its
     * byte count then its bytes, as Spark's STRING column type writes it). Each row keeps where its bytes
     * lie in the buffer. False for another scheme (the accessor reads it).
     */
    private boolean stringsRead(byte[] bytes, int rows) {
      ByteBuffer buffer = header(bytes);
      int count = buffer.getInt(0);
      int at = buffer.position(); // the null positions
      int scheme = scheme(buffer);
      buffer.position(at + 4 * count + 4); // the scheme's data
      boolean dictionaryEncoded = scheme == DICTIONARY_SCHEME;
      if (!dictionaryEncoded && scheme != PLAIN_SCHEME) {
        return false;
      }
      int[] entryStarts = null;
      int[] entryLengths = null;
      if (dictionaryEncoded) {
        int entries = buffer.getInt();
        entryStarts = new int[entries];
        entryLengths = new int[entries];
        for (int e = 0; e < entries; e++) {
          entryLengths[e] = buffer.getInt();
          entryStarts[e] = buffer.position();
          buffer.position(entryStarts[e] + entryLengths[e]);
        }
      }
      int nextNull = count > 0 ? buffer.getInt(at) : -1;
      int seen = 0;
      int position = buffer.position();
      for (int i = 0; i < rows; i++) {
        if (i == nextNull) {
          nulls[i] = true;
          seen++;
          nextNull = seen < count ? buffer.getInt(at + 4 * seen) : -1;
        } else {
          nulls[i] = false;
          if (dictionaryEncoded) {
            int id = buffer.getShort(position);
            position += 2;
            ids[i] = id;
            starts[i] = entryStarts[id];
            lengths[i] = entryLengths[id];
          } else {
            int length = buffer.getInt(position);
            starts[i] = position + 4;
            lengths[i] = length;
            position += 4 + length;
          }
        }
      }
      data = bytes;
      nullCount = count;
      dictionary = entryStarts;
      return true;
    }

    /** The buffer a string column's bytes lie in (this batch's), null when the accessor read the column. */
    Object data() {
      return data;
    }

    /** Where row `row`'s bytes start, as Platform reads `data()`. */
    long offset(int row) {
      return Platform.BYTE_ARRAY_OFFSET + starts[row];
    }

    int length(int row) {
      return lengths[row];
    }

    /** This batch's dictionary (entries; a new object for every batch) when the column is dictionary-encoded,
     * else null; {@link #dictionaryIds} then holds each non-null row's entry. */
    Object dictionary() {
      return dictionary;
    }

    int[] dictionaryIds() {
      return ids;
    }

    private long wholeOf(SpecificInternalRow row) {
      if (type instanceof LongType || type instanceof TimestampType || type instanceof TimestampNTZType) {
        return row.getLong(0);
      }
      if (type instanceof IntegerType || type instanceof DateType) {
        return row.getInt(0);
      }
      if (type instanceof ShortType) {
        return row.getShort(0);
      }
      return row.getByte(0);
    }

    @Override
    public void close() {}

    @Override
    public boolean hasNull() {
      return nullCount > 0;
    }

    @Override
    public int numNulls() {
      return nullCount;
    }

    @Override
    public boolean isNullAt(int row) {
      return nulls[row];
    }

    @Override
    public boolean getBoolean(int row) {
      return wholes[row] != 0;
    }

    @Override
    public byte getByte(int row) {
      return (byte) wholes[row];
    }

    @Override
    public short getShort(int row) {
      return (short) wholes[row];
    }

    @Override
    public int getInt(int row) {
      return (int) wholes[row];
    }

    @Override
    public long getLong(int row) {
      return wholes[row];
    }

    @Override
    public float getFloat(int row) {
      return (float) fractions[row];
    }

    @Override
    public double getDouble(int row) {
      return fractions[row];
    }

    @Override
    public Decimal getDecimal(int row, int precision, int scale) {
      return (Decimal) objects[row];
    }

    @Override
    public UTF8String getUTF8String(int row) {
      if (nulls[row]) {
        return null;
      }
      return data != null ? UTF8String.fromBytes(data, starts[row], lengths[row]) : (UTF8String) objects[row];
    }

    @Override
    public byte[] getBinary(int row) {
      throw new UnsupportedOperationException("binary columns are not read from the cache here");
    }

    @Override
    public ColumnarArray getArray(int row) {
      throw new UnsupportedOperationException("array columns are not read from the cache here");
    }

    @Override
    public ColumnarMap getMap(int row) {
      throw new UnsupportedOperationException("map columns are not read from the cache here");
    }

    @Override
    public ColumnVector getChild(int ordinal) {
      throw new UnsupportedOperationException("struct columns are not read from the cache here");
    }
  }
}
