package lakehub.udf;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Collects the first sample texts of each rule's failing rows while the one-pass aggregation runs, so
 * samples cost no extra scan of the data.
 *
 * <p>The engine marks a rule's failing rows as {@code failed AND (NOT want(rule) OR record(rule, text))}:
 * both functions return true for rows the rule fails, so counts are unchanged; {@code want} is true only
 * for the first {@code perRule} failing rows of the rule in each task, so the sample text is built for
 * those rows only, and {@code record} adds "partition TAB sequence TAB rule TAB text" to a Spark
 * accumulator. The driver orders the lines by (partition, sequence), which is the scan order, and keeps
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
    int[] counts = new int[64];
  }

  private SampleCollector(int perRule) {
    this.perRule = perRule;
  }

  /** A collector whose functions are registered as {@code <prefix>_want} and {@code <prefix>_record}. */
  public static SampleCollector register(SparkSession spark, String prefix, int perRule) {
    SampleCollector collector = new SampleCollector(perRule);
    collector.reset(spark);
    UDF1<Integer, Boolean> want = collector::want;
    UDF2<Integer, String, Boolean> record = collector::record;
    spark.udf().register(prefix + "_want", functions.udf(want, DataTypes.BooleanType).asNondeterministic());
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
    }
    return current;
  }

  /** Whether the rule still needs samples in this task (its failing rows so far are fewer than perRule). */
  public Boolean want(Integer rule) {
    State current = state();
    if (rule >= current.counts.length) {
      current.counts = Arrays.copyOf(current.counts, Math.max(rule + 1, current.counts.length * 2));
    }
    return current.counts[rule] < perRule;
  }

  /** Record a failing row's sample text (called only when want(rule) was true); always true. */
  public Boolean record(Integer rule, String text) {
    State current = state();
    if (current.counts[rule] < perRule) {
      current.counts[rule]++;
      current.sequence++;
      found.add(current.partition + "\t" + current.sequence + "\t" + rule + "\t" + text);
    }
    return true;
  }
}
