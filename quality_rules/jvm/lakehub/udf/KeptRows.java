package lakehub.udf;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.lang.ref.SoftReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.classic.Dataset;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.unsafe.Platform;
import scala.collection.JavaConverters;

/**
 * A frame's rows kept for the jobs that read them again, as their UnsafeRow bytes packed back to back in
 * chunks of a few megabytes, rather than as one Java object (and one byte array) per row.
 *
 * <p>A landing reads its standardised rows three times (tally, base write, quarantine write). Kept as row
 * objects (Spark's deserialized storage), 1M population rows are 2M small objects (437 MB) that the young
 * collections trace and copy into the old generation; serialized storage runs every row through Java
 * serialization on each read. Chunks hold the same bytes as the rows (no per-row header), are a few hundred
 * objects to the collector, and are read back by pointing one reused UnsafeRow at each row in turn. The
 * first job that reads the frame computes the chunks in its own tasks; what does not fit in memory goes to
 * local disk (a chunk serializes as its byte array).
 */
public final class KeptRows {
  private static final int CHUNK_BYTES = 4 << 20;

  private KeptRows() {}

  /** Rows of one partition, each `sizes[i]` bytes, stored one after the other at the start of `bytes`. */
  public static final class Chunk implements Serializable {
    private static final long serialVersionUID = 2L;
    transient byte[] bytes;
    final int[] sizes;
    final int used;

    Chunk(byte[] bytes, int[] sizes, int used) {
      this.bytes = bytes;
      this.sizes = sizes;
      this.used = used;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
      out.defaultWriteObject();
      out.write(bytes, 0, used); // a spilled chunk: its rows only, not the pooled array's free end
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      in.defaultReadObject();
      bytes = new byte[used];
      in.readFully(bytes);
    }
  }

  /**
   * Chunk arrays of released frames, handed to the next frame kept in this JVM (at most {@link #poolBytes}).
   * A kept frame's chunks outlive several young collections and end in the old generation; allocated anew
   * for every landing, they fill old-generation memory the JVM has not touched yet, and on this project's VM
   * the kernel's page faults made those collections the landing's slowest (0.6 s each, nearly all system
   * time). Reused arrays are already there. Softly held: a full collection short of memory takes them back.
   */
  private static final ConcurrentLinkedDeque<SoftReference<byte[]>> POOL = new ConcurrentLinkedDeque<>();

  /** Bytes of the arrays in the pool (a softly held array the collector took back still counts). */
  private static final AtomicLong POOLED = new AtomicLong();

  private static volatile long poolBytes = Runtime.getRuntime().maxMemory() / 8;

  /** Arrays each kept frame took (in this JVM), by lease id, until {@link #release} pools them. */
  private static final ConcurrentHashMap<Integer, ConcurrentLinkedQueue<byte[]>> LEASES =
      new ConcurrentHashMap<>();

  /** The most chunk memory kept for reuse; 0 also empties the pool (every chunk a new array). */
  public static void setPoolBytes(long bytes) {
    poolBytes = bytes;
    if (bytes == 0) {
      while (POOL.pollFirst() != null) {
        POOLED.addAndGet(-CHUNK_BYTES);
      }
    }
  }

  /** Bytes of chunk arrays waiting in the pool. */
  public static long pooledBytes() {
    return POOLED.get();
  }

  private static byte[] take(int size, ConcurrentLinkedQueue<byte[]> lease) {
    byte[] bytes = null;
    SoftReference<byte[]> pooled;
    while (bytes == null && size <= CHUNK_BYTES && (pooled = POOL.pollFirst()) != null) {
      POOLED.addAndGet(-CHUNK_BYTES);
      bytes = pooled.get();
    }
    if (bytes == null) {
      bytes = new byte[Math.max(CHUNK_BYTES, size)];
    }
    if (lease != null) {
      lease.add(bytes);
    }
    return bytes;
  }

  private static void giveBack(byte[] bytes) {
    if (bytes.length != CHUNK_BYTES) {
      return; // a row larger than a chunk had an array of its own size
    }
    if (POOLED.addAndGet(CHUNK_BYTES) <= poolBytes) {
      POOL.addFirst(new SoftReference<>(bytes));
    } else {
      POOLED.addAndGet(-CHUNK_BYTES);
    }
  }

  /** Packs a partition's rows into chunks (a row larger than a chunk gets a chunk of its own size). */
  private static final class Packer implements Iterator<Chunk> {
    private final Iterator<InternalRow> rows;
    private final UnsafeProjection toUnsafe;
    private final ConcurrentLinkedQueue<byte[]> lease;
    private UnsafeRow pending;

    Packer(Iterator<InternalRow> rows, StructType schema, int frame) {
      this.rows = rows;
      this.toUnsafe = UnsafeProjection.create(schema);
      this.lease = LEASES.get(frame); // null in an executor JVM other than the driver's: no reuse there
    }

    private UnsafeRow unsafe(InternalRow row) {
      return row instanceof UnsafeRow ? (UnsafeRow) row : toUnsafe.apply(row);
    }

    @Override
    public boolean hasNext() {
      return pending != null || rows.hasNext();
    }

    @Override
    public Chunk next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      UnsafeRow first = pending != null ? pending : unsafe(rows.next());
      pending = null;
      byte[] bytes = take(first.getSizeInBytes(), lease);
      int[] sizes = new int[1024];
      int used = 0;
      int count = 0;
      UnsafeRow row = first;
      while (true) {
        int size = row.getSizeInBytes();
        if (used + size > bytes.length) {
          pending = row.copy(); // the source may reuse its row object for the next one
          break;
        }
        row.writeToMemory(bytes, Platform.BYTE_ARRAY_OFFSET + used);
        used += size;
        if (count == sizes.length) {
          sizes = Arrays.copyOf(sizes, count * 2);
        }
        sizes[count++] = size;
        if (!rows.hasNext()) {
          break;
        }
        row = unsafe(rows.next());
      }
      return new Chunk(bytes, Arrays.copyOf(sizes, count), used);
    }
  }

  /** Replays chunks as rows: one UnsafeRow, pointed at each stored row in turn. */
  private static final class Replayer implements Iterator<InternalRow> {
    private final Iterator<Chunk> chunks;
    private final UnsafeRow row;
    private Chunk chunk;
    private int index;
    private long offset;

    Replayer(Iterator<Chunk> chunks, int fields) {
      this.chunks = chunks;
      this.row = new UnsafeRow(fields);
    }

    @Override
    public boolean hasNext() {
      while (chunk == null || index == chunk.sizes.length) {
        if (!chunks.hasNext()) {
          return false;
        }
        chunk = chunks.next();
        index = 0;
        offset = Platform.BYTE_ARRAY_OFFSET;
      }
      return true;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      int size = chunk.sizes[index++];
      row.pointTo(chunk.bytes, offset, size);
      offset += size;
      return row;
    }
  }

  /**
   * The frame's rows, computed by the first job that reads the returned frame and kept at `level` for the
   * jobs after it (lakehub: memory as chunk objects, then local disk). Release them with {@link #release}.
   */
  public static Dataset<Row> keep(Dataset<Row> frame, StorageLevel level) {
    StructType schema = frame.schema();
    int fields = schema.length();
    JavaRDD<InternalRow> rows = frame.queryExecution().toRdd().toJavaRDD();
    int id = NEXT_LEASE.incrementAndGet();
    LEASES.put(id, new ConcurrentLinkedQueue<>());
    JavaRDD<Chunk> chunks = rows.mapPartitions(it -> new Packer(it, schema, id), true);
    chunks.setName("lakehub kept rows " + id);
    chunks.persist(level);
    LEASE_OF.put(chunks.id(), id);
    JavaRDD<InternalRow> replayed = chunks.mapPartitions(it -> new Replayer(it, fields), true);
    return frame.sparkSession().internalCreateDataFrame(replayed.rdd(), schema, false);
  }

  private static final AtomicInteger NEXT_LEASE = new AtomicInteger();

  /** Lease id of each kept frame's chunks RDD (by RDD id). */
  private static final ConcurrentHashMap<Integer, Integer> LEASE_OF = new ConcurrentHashMap<>();

  /**
   * Unpersists the stored RDDs nearest to `rdd` along its lineage (a kept frame's chunks), now rather than
   * when the JVM collects them; stored RDDs further up (another kept frame's) are left alone.
   */
  public static int release(RDD<?> rdd) {
    int released = 0;
    List<RDD<?>> todo = new ArrayList<>();
    todo.add(rdd);
    while (!todo.isEmpty()) {
      RDD<?> current = todo.remove(todo.size() - 1);
      if (current.getStorageLevel() != StorageLevel.NONE()) {
        current.unpersist(true); // blocking: no stored chunk refers to an array once it is pooled again
        released++;
        Integer lease = LEASE_OF.remove(current.id());
        ConcurrentLinkedQueue<byte[]> arrays = lease == null ? null : LEASES.remove(lease);
        if (arrays != null) {
          arrays.forEach(KeptRows::giveBack);
        }
        continue;
      }
      for (org.apache.spark.Dependency<?> dependency :
          JavaConverters.seqAsJavaList(current.dependencies())) {
        todo.add(dependency.rdd());
      }
    }
    return released;
  }
}
