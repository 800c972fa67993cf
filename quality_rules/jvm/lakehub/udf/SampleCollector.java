package lakehub.udf;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF0;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Collects the first sample texts of each rule's failing rows while the one-pass aggregation runs, so
 * samples cost no extra scan of the data.
 *
 * <p>Per row that fails some rule the engine calls {@code wanted()} once: a bit mask of the rules
 * (index < 63) that still lack {@code perRule} samples in this task. It then marks rule i's failing rows
 * as {@code failed AND (bit i of the mask is 0 OR record(i, text))}: {@code record} returns true, so
 * counts are unchanged, the sample text is built only for wanted rows, and it adds
 * "partition TAB sequence TAB rule TAB text" to a Spark accumulator. The driver orders the lines by (partition, sequence), which is the scan order, and keeps
 * the first rows of each rule.
 *
 * <p>Both functions hold this one object; Java serialisation keeps that sharing inside a task, and the
 * counters live in a thread-local reset per task attempt. The functions are registered once per session
 * (recompiling the suite's generated code for new functions would cost more than the samples);
 * {@link #reset} starts a new collection. A retried task may add its lines twice, which the (partition,
 * sequence) key makes harmless.
 */
public final class SampleCollector implements Serializable {
  private static final long serialVersionUID = 1L;

  private volatile CollectionAccumulator<String> found;
  private final int perRule;
  private transient ThreadLocal<State> state;

  private static final class State {
    long task = Long.MIN_VALUE;
    int partition;
    long sequence;
    int[] counts = new int[MAX_RULES];
    long wanted = -1L >>> 1;
  }

  private SampleCollector(int perRule) {
    this.perRule = perRule;
  }

  /** Rules a collector can sample (one bit each in the mask {@code wanted()} returns). */
  public static final int MAX_RULES = 63;

  /** A collector whose functions are registered as {@code <prefix>_wanted} and {@code <prefix>_record}. */
  public static SampleCollector register(SparkSession spark, String prefix, int perRule) {
    SampleCollector collector = new SampleCollector(perRule);
    collector.reset(spark);
    UDF0<Long> wanted = collector::wanted;
    UDF2<Integer, String, Boolean> record = collector::record;
    spark.udf().register(prefix + "_wanted", functions.udf(wanted, DataTypes.LongType).asNondeterministic());
    spark.udf().register(prefix + "_record", functions.udf(record, DataTypes.BooleanType).asNondeterministic());
    return collector;
  }

  /** Start a new collection: jobs submitted from now on add to a fresh accumulator. */
  public void reset(SparkSession spark) {
    found = spark.sparkContext().collectionAccumulator("lakehub samples");
  }

  /** What the tasks added since the last reset: "partition TAB sequence TAB rule TAB text" lines. */
  public List<String> collected() {
    return found.value();
  }

  private State state() {
    if (state == null) {
      synchronized (this) {
        if (state == null) {
          state = ThreadLocal.withInitial(State::new);
        }
      }
    }
    State current = state.get();
    TaskContext task = TaskContext.get();
    long attempt = task == null ? -1L : task.taskAttemptId();
    if (current.task != attempt) {
      current.task = attempt;
      current.partition = task == null ? 0 : task.partitionId();
      current.sequence = 0;
      Arrays.fill(current.counts, 0);
      current.wanted = -1L >>> 1;
    }
    return current;
  }

  /** Bit i set: rule i still lacks perRule samples in this task. */
  public Long wanted() {
    return state().wanted;
  }

  /** Record a failing row's sample text (called only while the rule is wanted); always true. */
  public Boolean record(Integer rule, String text) {
    State current = state();
    if (current.counts[rule] < perRule) {
      if (++current.counts[rule] == perRule) {
        current.wanted &= ~(1L << rule);
      }
      current.sequence++;
      found.add(current.partition + "\t" + current.sequence + "\t" + rule + "\t" + text);
    }
    return true;
  }
}
