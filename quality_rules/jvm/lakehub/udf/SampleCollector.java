package lakehub.udf;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Collects the first sample texts of each rule's failing rows while the one-pass aggregation runs, so
 * samples cost no extra scan of the data.
 *
 * <p>Per row that fails some rule the engine calls {@code wanted(g)} once per group g of 63 rules: a bit
 * mask of the group's rules that still lack {@code perRule} samples in this task. ANDed with the rules the
 * row fails, a non-zero mask makes the engine build the group's texts and call {@code recordRow} once,
 * which adds "partition TAB sequence TAB rule TAB text" to a Spark accumulator for each bit. The driver
 * orders the lines by (partition, sequence), which is the scan order, and keeps the first rows of each
 * rule.
 *
 * <p>The counters live in a static thread-local, reset per task attempt and per collection (so a query
 * evaluated on the driver, outside any task, starts afresh too); {@code recordRow} holds the accumulator.
 * The functions are registered once per session
 * (recompiling the suite's generated code for new functions would cost more than the samples);
 * {@link #reset} starts a new collection. A retried task may add its lines twice, which the (partition,
 * sequence) key makes harmless.
 */
public final class SampleCollector implements Serializable {
  private static final long serialVersionUID = 1L;

  private volatile CollectionAccumulator<String> found;
  private final int perRule;
  /** Per executor thread: the running task's counts (static, so the native wanted() reads them too). */
  private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);

  /** Bumped by every reset: state left by an earlier collection in the same thread is stale. */
  private static volatile long generation;

  private static final class State {
    long task = Long.MIN_VALUE;
    long generation = -1;
    int partition;
    long sequence;
    int[] counts = new int[GROUP];
    long[] wanted = {ALL};
  }

  private SampleCollector(int perRule) {
    this.perRule = perRule;
  }

  /** Rules per group: one bit each in the (positive) long {@code wanted(group)} returns. */
  public static final int GROUP = 63;

  private static final long ALL = -1L >>> 1;

  /**
   * A collector whose functions are registered as {@code <prefix>_wanted} and {@code <prefix>_record}.
   *
   * <p>{@code wanted} runs for every failing row, so it is a native static call (no UDF conversion or
   * boxing) reading this thread's task state; {@code record}, called for at most perRule rows per rule and
   * task, is a UDF holding the accumulator (serialised to the executors).
   */
  public static SampleCollector register(SparkSession spark, String prefix, int perRule) {
    SampleCollector collector = new SampleCollector(perRule);
    collector.reset(spark);
    UDF3<Integer, Long, scala.collection.Seq<String>, Boolean> recordRow = collector::recordRow;
    NativeFunctions.define(
        spark,
        prefix + "_wanted",
        SampleCollector.class,
        "wanted",
        DataTypes.LongType,
        List.of(DataTypes.IntegerType),
        false,
        false,
        false);
    spark.udf().register(prefix + "_record", functions.udf(recordRow, DataTypes.BooleanType).asNondeterministic());
    return collector;
  }

  /** Start a new collection: jobs submitted from now on add to a fresh accumulator. */
  public void reset(SparkSession spark) {
    found = spark.sparkContext().collectionAccumulator("lakehub samples");
    generation++;
  }

  /** What the tasks added since the last reset: "partition TAB sequence TAB rule TAB text" lines. */
  public List<String> collected() {
    return found.value();
  }

  private static State state() {
    State current = STATE.get();
    TaskContext task = TaskContext.get();
    long attempt = task == null ? -1L : task.taskAttemptId();
    if (current.task != attempt || current.generation != generation) {
      current.task = attempt;
      current.generation = generation;
      current.partition = task == null ? 0 : task.partitionId();
      current.sequence = 0;
      Arrays.fill(current.counts, 0);
      Arrays.fill(current.wanted, ALL);
    }
    return current;
  }

  /** Bit b set: rule {@code group * 63 + b} still lacks perRule samples in this task. */
  public static long wanted(int group) {
    State current = state();
    if (group >= current.wanted.length) {
      int size = current.wanted.length;
      current.wanted = Arrays.copyOf(current.wanted, group + 1);
      Arrays.fill(current.wanted, size, group + 1, ALL);
      current.counts = Arrays.copyOf(current.counts, (group + 1) * GROUP);
    }
    return current.wanted[group];
  }

  /**
   * Record one row's sample texts: bit b of {@code picked} set means rule {@code group * 63 + b} fails on
   * this row and still wants samples; {@code texts} holds the group's texts by bit. Always true.
   */
  public Boolean recordRow(Integer group, Long picked, scala.collection.Seq<String> texts) {
    long bits = picked;
    while (bits != 0) {
      int bit = Long.numberOfTrailingZeros(bits);
      bits &= bits - 1;
      record(group * GROUP + bit, texts.apply(bit));
    }
    return true;
  }

  /** Record a failing row's sample text (called only while the rule is wanted); always true. */
  private Boolean record(int rule, String text) {
    State current = state();
    if (current.counts[rule] < perRule) {
      if (++current.counts[rule] == perRule) {
        current.wanted[rule / GROUP] &= ~(1L << (rule % GROUP));
      }
      current.sequence++;
      found.add(current.partition + "\t" + current.sequence + "\t" + rule + "\t" + text);
    }
    return true;
  }
}
