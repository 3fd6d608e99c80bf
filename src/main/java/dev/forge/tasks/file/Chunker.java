package dev.forge.tasks.file;

import java.util.function.Consumer;

/**
 * Splits a document's text into segments, fed a paragraph (or a long paragraph's complete
 * sentences) at a time, so that no more than one chunk and one paragraph piece are ever held.
 *
 * <p>The rule: sentences ({@link #sentenceEnd}) are packed in order into chunks of at most
 * {@value #TARGET_CHARS} characters (about 300 tokens of English at ~4 characters a token); a chunk
 * ends early at a paragraph boundary once it holds {@value #PARAGRAPH_BREAK_CHARS} characters; a
 * sentence longer than {@value #MAX_SENTENCE_CHARS} characters is cut at the last space before that
 * length (or hard when there is none). Each chunk after the first starts with the previous chunk's
 * last sentence when that sentence has at most {@value #OVERLAP_CHARS} characters (the overlap).
 * Chunks keep paragraph breaks as blank lines and collapse other whitespace.
 */
final class Chunker {

  /** A finished chunk: its text and the page (1-based; 0 when the format has no pages) it starts on. */
  record Chunk(int index, String text, int page) {
  }

  static final int TARGET_CHARS = 1200;
  static final int PARAGRAPH_BREAK_CHARS = 700;
  static final int MAX_SENTENCE_CHARS = 1000;
  static final int OVERLAP_CHARS = 300;

  private final Consumer<Chunk> out;
  private final StringBuilder current = new StringBuilder();
  private int currentPage;
  private int freshChars;
  private String lastSentence;
  private int count;

  Chunker(Consumer<Chunk> out) {
    this.out = out;
  }

  /** Adds one paragraph's text (or a piece of a long paragraph: {@code continues} true after the first piece). */
  void paragraph(String text, boolean continues, int page) {
    boolean first = !continues;
    for (int start = 0, end; start < text.length(); start = end) {
      end = sentenceEnd(text, start);
      int from = start;
      int to = end;
      while (from < to && Character.isWhitespace(text.charAt(from))) {
        from++;
      }
      while (to > from && Character.isWhitespace(text.charAt(to - 1))) {
        to--;
      }
      if (from < to) {
        sentence(text.substring(from, to), first, page);
        first = false;
      }
    }
  }

  /**
   * Where the sentence starting at {@code from} ends (its trailing spaces included): after a run of
   * {@code . ! ?} (or their CJK forms) and any closing quotes or brackets, when a space follows and,
   * after a period, the next word does not begin with a lowercase letter ("e.g. this" goes on); or
   * at the end of the text. One pass, no look-back: linear in the text.
   */
  static int sentenceEnd(String text, int from) {
    int n = text.length();
    for (int i = from; i < n; i++) {
      char c = text.charAt(i);
      if (!isTerminator(c)) {
        continue;
      }
      boolean period = c == '.';
      int j = i + 1;
      while (j < n && (isTerminator(text.charAt(j)) || isCloser(text.charAt(j)))) {
        period &= text.charAt(j) != '!' && text.charAt(j) != '?';
        j++;
      }
      if (j == n) {
        return n;
      }
      if (c >= '\u3000') {
        return j; // CJK full stops need no space after them
      }
      if (!Character.isWhitespace(text.charAt(j))) {
        i = j - 1;
        continue;
      }
      int k = j;
      while (k < n && Character.isWhitespace(text.charAt(k))) {
        k++;
      }
      if (k < n && period && Character.isLowerCase(text.charAt(k))) {
        i = k - 1;
        continue;
      }
      return k;
    }
    return n;
  }

  private static boolean isTerminator(char c) {
    return c == '.' || c == '!' || c == '?' || c == '\u3002' || c == '\uff01' || c == '\uff1f';
  }

  private static boolean isCloser(char c) {
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == '\u2019' || c == '\u201d' || c == '\u00bb';
  }

  private void sentence(String s, boolean newParagraph, int page) {
    while (s.length() > MAX_SENTENCE_CHARS) {
      int cut = s.lastIndexOf(' ', MAX_SENTENCE_CHARS);
      cut = cut <= MAX_SENTENCE_CHARS / 2 ? MAX_SENTENCE_CHARS : cut;
      if (Character.isHighSurrogate(s.charAt(cut - 1))) {
        cut--;
      }
      add(s.substring(0, cut).strip(), newParagraph, page);
      newParagraph = false;
      s = s.substring(cut).strip();
    }
    if (!s.isEmpty()) {
      add(s, newParagraph, page);
    }
  }

  private void add(String s, boolean newParagraph, int page) {
    if (freshChars > 0 && (current.length() + 1 + s.length() > TARGET_CHARS
      || newParagraph && current.length() >= PARAGRAPH_BREAK_CHARS)) {
      emit();
    }
    if (current.length() == 0) {
      currentPage = page;
      if (lastSentence != null && lastSentence.length() <= OVERLAP_CHARS) {
        current.append(lastSentence);
      }
    }
    if (current.length() > 0) {
      current.append(newParagraph ? "\n\n" : " ");
    }
    current.append(s);
    freshChars += s.length();
    lastSentence = s;
  }

  private void emit() {
    out.accept(new Chunk(count++, current.toString(), currentPage));
    current.setLength(0);
    freshChars = 0;
  }

  /** Emits the last chunk; returns the number of chunks made. */
  int finish() {
    if (freshChars > 0) {
      emit();
    }
    return count;
  }
}
