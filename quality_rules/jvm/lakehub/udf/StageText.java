package lakehub.udf;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Stages a delimited-text or JSON-lines delivery as numbered UTF-8 lines ({@code row<US>line}), the JVM twin
 * of {@code lakehub.pipelines.intake}'s Python loop for large files (the loop costs about 1.5 s per million
 * lines and holds Python's interpreter lock while other landings wait for it).
 *
 * <p>It works on bytes. A UTF-8 delivery is validated with the JDK's strict decoder and copied; a
 * double-byte delivery (GBK) is transcoded to UTF-8 through {@code pairs}, the table of what Python's own
 * codec decodes each lead/trail byte pair to, so both paths give the same characters by construction. It
 * produces the same bytes as the Python loop or declines: on any byte sequence it cannot decode it returns
 * {@code {"fallback", why}} and the caller stages the file in Python, which raises the exact error
 * (truncation or wrong encoding, with the line). Lines split at '\n' only; a BOM opens line 1 only; one
 * trailing '\r' is dropped; lines blank by Python's {@code str.isspace} are counted but not written.
 */
public final class StageText {
  private static final int BLOCK = 16 << 20;
  private static final int OUT = 4 << 20;
  private static final byte SEPARATOR = 0x1f;
  private static final char NO_CHAR = '\uffff';

  private StageText() {}

  /**
   * Stages {@code source} into {@code target}.
   *
   * @param pairs null for UTF-8; for a double-byte codec, 128 × 256 characters: what the lead byte {@code
   *     0x80 + i / 256} followed by the byte {@code i % 256} decodes to, U+FFFF where it does not decode
   * @param header whether line 1 is a header (returned, not written; data lines numbered from 1 after it)
   * @return {@code {"ok", header text, rows written, last line number, last line text, "1" if the last line
   *     ended with a newline}} (the last line is 0/null when there is no line after the header), or {@code
   *     {"fallback", why}}
   */
  public static String[] stage(String source, String target, String pairs, boolean header)
      throws IOException {
    Lines lines = new Lines(header, pairs == null ? null : utf8Table(pairs));
    try (FileChannel in = FileChannel.open(Path.of(source), StandardOpenOption.READ);
        OutputStream out = new FileOutputStream(target)) {
      lines.out = out;
      byte[] bytes = new byte[BLOCK];
      int filled = 0;
      boolean eof = false;
      while (!eof) {
        int read = in.read(ByteBuffer.wrap(bytes, filled, bytes.length - filled));
        if (read < 0) {
          eof = true;
        } else {
          filled += read;
          if (filled < bytes.length) {
            continue; // fill the block before cutting it
          }
        }
        int cut = lastNewline(bytes, filled) + 1;
        if (cut == 0 && !eof) {
          bytes = Arrays.copyOf(bytes, bytes.length * 2); // a line longer than the block
          continue;
        }
        if (cut > 0) {
          if (!lines.block(bytes, cut)) {
            return new String[] {"fallback", "undecodable bytes after line " + lines.lineNo};
          }
          System.arraycopy(bytes, cut, bytes, 0, filled - cut);
          filled -= cut;
        }
        if (eof && filled > 0 && !lines.block(bytes, filled)) {
          return new String[] {"fallback", "undecodable bytes after line " + lines.lineNo};
        }
      }
      lines.flush();
    }
    return new String[] {
      "ok",
      lines.headerText,
      Long.toString(lines.rows),
      Long.toString(lines.lastLine),
      lines.lastText,
      lines.lastEnded ? "1" : "0"
    };
  }

  /** Each pair's UTF-8 bytes packed as (length << 24 | bytes), or -1 where the pair does not decode. */
  private static int[] utf8Table(String pairs) {
    int[] table = new int[pairs.length()];
    for (int i = 0; i < table.length; i++) {
      char c = pairs.charAt(i);
      if (c == NO_CHAR || Character.isSurrogate(c)) {
        table[i] = -1;
      } else if (c < 0x80) {
        table[i] = 1 << 24 | c;
      } else if (c < 0x800) {
        table[i] = 2 << 24 | (0xc0 | c >> 6) << 8 | (0x80 | c & 0x3f);
      } else {
        table[i] = 3 << 24 | (0xe0 | c >> 12) << 16 | (0x80 | c >> 6 & 0x3f) << 8 | (0x80 | c & 0x3f);
      }
    }
    return table;
  }

  private static int lastNewline(byte[] bytes, int length) {
    for (int i = length - 1; i >= 0; i--) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  /** The line state across blocks and the output buffer. */
  private static final class Lines {
    final boolean header;
    final int[] table;
    final CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    CharBuffer chars = CharBuffer.allocate(0);
    byte[] text = new byte[0];
    OutputStream out;
    final byte[] buffer = new byte[OUT];
    int used;
    String headerText;
    long lineNo;
    long rows;
    long lastLine;
    String lastText;
    boolean lastEnded;

    Lines(boolean header, int[] table) {
      this.header = header;
      this.table = table;
    }

    /** Decodes bytes[0, length) and writes its lines; false when it does not decode. */
    boolean block(byte[] bytes, int length) throws IOException {
      byte[] utf;
      int size;
      if (table == null) {
        if (!validUtf8(bytes, length)) {
          return false;
        }
        utf = bytes;
        size = length;
      } else {
        size = transcode(bytes, length);
        if (size < 0) {
          return false;
        }
        utf = text;
      }
      int start = 0;
      int lastStart = -1;
      int lastEnd = -1;
      while (start < size) {
        int newline = start;
        while (newline < size && utf[newline] != '\n') {
          newline++;
        }
        boolean lineEnded = newline < size;
        int end = newline;
        lineNo++;
        int from = start;
        if (lineNo == 1
            && end - from >= 3
            && utf[from] == (byte) 0xef
            && utf[from + 1] == (byte) 0xbb
            && utf[from + 2] == (byte) 0xbf) {
          from += 3; // the BOM
        }
        if (end > from && utf[end - 1] == '\r') {
          end--;
        }
        if (header && lineNo == 1) {
          headerText = new String(utf, from, end - from, StandardCharsets.UTF_8);
        } else {
          lastLine = lineNo;
          lastEnded = lineEnded;
          lastStart = from;
          lastEnd = end;
          if (!isBlank(utf, from, end)) {
            write(header ? lineNo - 1 : lineNo, utf, from, end);
          }
        }
        start = newline + 1;
      }
      if (lastStart >= 0) {
        lastText = new String(utf, lastStart, lastEnd - lastStart, StandardCharsets.UTF_8);
      }
      return true;
    }

    private boolean validUtf8(byte[] bytes, int length) {
      if (chars.capacity() < length) {
        chars = CharBuffer.allocate(length);
      }
      chars.clear();
      utf8.reset();
      CoderResult result = utf8.decode(ByteBuffer.wrap(bytes, 0, length), chars, true);
      return result.isUnderflow() && utf8.flush(chars).isUnderflow();
    }

    /** GBK-like bytes to UTF-8 in {@code text}; its length, or -1 at a byte pair that does not decode. */
    private int transcode(byte[] bytes, int length) {
      if (text.length < length * 3 / 2 + 16) {
        text = new byte[length * 3 / 2 + 16];
      }
      byte[] to = text;
      int at = 0;
      for (int i = 0; i < length; i++) {
        int b = bytes[i];
        if (b >= 0) {
          to[at++] = (byte) b;
          continue;
        }
        if (i + 1 >= length) {
          return -1;
        }
        int packed = table[((b & 0xff) - 0x80) << 8 | bytes[++i] & 0xff];
        switch (packed >>> 24) {
          case 1 -> to[at++] = (byte) packed;
          case 2 -> {
            to[at++] = (byte) (packed >> 8);
            to[at++] = (byte) packed;
          }
          case 3 -> {
            to[at++] = (byte) (packed >> 16);
            to[at++] = (byte) (packed >> 8);
            to[at++] = (byte) packed;
          }
          default -> {
            return -1;
          }
        }
      }
      return at;
    }

    private void write(long number, byte[] utf, int from, int end) throws IOException {
      int length = end - from;
      if (used + length + 24 > buffer.length) {
        flush();
      }
      String digits = Long.toString(number);
      for (int i = 0; i < digits.length(); i++) {
        buffer[used++] = (byte) digits.charAt(i);
      }
      buffer[used++] = SEPARATOR;
      if (length + 1 > buffer.length - used) {
        flush();
        out.write(utf, from, length);
      } else {
        System.arraycopy(utf, from, buffer, used, length);
        used += length;
      }
      buffer[used++] = '\n';
      rows++;
    }

    void flush() throws IOException {
      out.write(buffer, 0, used);
      used = 0;
    }
  }

  /** Whether the UTF-8 bytes are all whitespace by Python's {@code str.isspace} (empty included). */
  private static boolean isBlank(byte[] utf, int from, int end) {
    for (int i = from; i < end; i++) {
      byte b = utf[i];
      if (b < 0) {
        String line = new String(utf, from, end - from, StandardCharsets.UTF_8); // rare: non-ASCII
        return line.chars().allMatch(c -> isPythonSpace((char) c));
      }
      if (!(b == ' ' || (b >= '\t' && b <= '\r') || (b >= 0x1c && b <= 0x1f))) {
        return false;
      }
    }
    return true;
  }

  /** Python's {@code str.isspace} (all such characters are in the BMP). */
  static boolean isPythonSpace(char c) {
    return c == ' '
        || (c >= '\t' && c <= '\r')
        || (c >= '\u001c' && c <= '\u001f')
        || c == '\u0085'
        || c == '\u00a0'
        || c == '\u1680'
        || (c >= '\u2000' && c <= '\u200a')
        || c == '\u2028'
        || c == '\u2029'
        || c == '\u202f'
        || c == '\u205f'
        || c == '\u3000';
  }
}
