package lakehub.udf;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * {@code value RLIKE pattern} (java.util.regex, searched with find(), like Spark and Great Expectations)
 * without copying each value into a Java String. A pattern of the simple shape most rules use (anchors,
 * one-character atoms, greedy quantifiers: see SimplePattern) is decided on an ASCII value by
 * SimplePattern; other patterns and values go to java.util.regex, an ASCII value read in place through a
 * CharSequence view of its UTF-8 bytes, each executor thread reusing one Matcher per pattern. A value with
 * non-ASCII characters is decoded as Spark does. Null values never reach the method (null in, null out).
 */
public final class RegexFind {
  /** A pattern's java.util.regex Matcher and, when it has the simple shape, its SimplePattern. */
  private static final class Compiled {
    final Matcher matcher;
    final SimplePattern simple;

    Compiled(String regex) {
      matcher = Pattern.compile(regex).matcher("");
      simple = SimplePattern.compile(regex);
    }
  }

  /**
   * One executor thread's compiled patterns. A literal pattern reaches {@link #of} as the same UTF8String
   * object on every row of its call site, so the patterns seen last are found by identity (a suite with
   * several regex rules alternates between them on every row; hashing the pattern's bytes for each call
   * cost about as much as the match); any other pattern is looked up by content.
   */
  private static final class Cache {
    static final int SEEN = 8;
    final UTF8String[] seen = new UTF8String[SEEN];
    final Compiled[] seenCompiled = new Compiled[SEEN];
    int next;
    final Map<UTF8String, Compiled> patterns = new HashMap<>();
    final AsciiChars view = new AsciiChars(null);

    Compiled get(UTF8String pattern) {
      for (int i = 0; i < SEEN; i++) {
        if (seen[i] == pattern) {
          return seenCompiled[i];
        }
      }
      Compiled compiled = patterns.get(pattern);
      if (compiled == null) {
        compiled = new Compiled(pattern.toString());
        patterns.put(pattern.clone(), compiled);
      }
      seen[next] = pattern;
      seenCompiled[next] = compiled;
      next = (next + 1) % SEEN;
      return compiled;
    }
  }

  private static final ThreadLocal<Cache> CACHE = ThreadLocal.withInitial(Cache::new);

  private RegexFind() {}

  /** Whether the pattern matches somewhere in the value. */
  public static boolean of(UTF8String value, UTF8String pattern) {
    Cache cache = CACHE.get();
    return find(cache.get(pattern), cache.view, value);
  }

  private static boolean find(Compiled compiled, AsciiChars view, UTF8String value) {
    if (compiled.simple != null) {
      int decided = compiled.simple.find(value);
      if (decided != SimplePattern.UNDECIDED) {
        return decided == SimplePattern.MATCH;
      }
    }
    return regexFind(compiled.matcher, view, value);
  }

  /** java.util.regex's find() on the value (an ASCII value read in place through `view`). */
  private static boolean regexFind(Matcher matcher, AsciiChars view, UTF8String value) {
    boolean found;
    if (value.isFullAscii()) {
      view.value = value;
      found = matcher.reset(view).find();
      view.value = null;
    } else {
      found = matcher.reset(value.toString()).find();
    }
    return found;
  }

  /** One pattern compiled for one thread's use (a columnar kernel's): {@link #of} without the lookups. */
  static final class Finder {
    private final Compiled compiled;
    private final AsciiChars view = new AsciiChars(null);

    Finder(UTF8String pattern) {
      compiled = new Compiled(pattern.toString());
    }

    /** Whether the pattern matches the UTF-8 bytes where they lie; a value the simple shape cannot decide
     * becomes a UTF8String for java.util.regex. */
    boolean find(Object base, long offset, int length) {
      if (compiled.simple != null) {
        int decided = compiled.simple.find(base, offset, length);
        if (decided != SimplePattern.UNDECIDED) {
          return decided == SimplePattern.MATCH;
        }
      }
      return regexFind(compiled.matcher, view, UTF8String.fromAddress(base, offset, length));
    }
  }

  /** Whether RegexFind decides the pattern without java.util.regex on ASCII values (for tests). */
  public static boolean isSimple(String regex) {
    return SimplePattern.compile(regex) != null;
  }

  /** SimplePattern's verdict on a value: 1 match, 0 no match, -1 left to java.util.regex (for tests). */
  public static int simpleFind(String regex, String value) {
    SimplePattern simple = SimplePattern.compile(regex);
    return simple == null ? SimplePattern.UNDECIDED : simple.find(UTF8String.fromString(value));
  }
}
