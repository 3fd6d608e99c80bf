package dev.forge.tasks.job;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Extractive summarisation: words are weighted by their frequency in the text (stop words
 * excluded), sentences by the mean weight of their words, and the best sentences are kept in
 * their original order. Pure computation, no I/O.
 */
public final class TextAnalysis {

  static final Set<String> STOP_WORDS = Set.of(
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did",
    "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have",
    "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into",
    "is", "it", "its", "itself", "just", "may", "me", "might", "more", "most", "must", "my", "myself", "no", "nor",
    "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "our", "ours", "ourselves", "out",
    "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs",
    "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under",
    "until", "up", "upon", "us", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who",
    "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "many", "much",
    "every", "within", "without", "yet", "however", "thus", "therefore", "s", "t", "let", "like", "well", "use",
    "used", "using");

  /** The outcome: the summary, the top keywords, and the number of sentences read. */
  public record Result(String summary, List<String> keywords, int sentences) {
  }

  /** Receives progress in [0, 1] as the analysis goes; may throw to stop it. */
  public interface Progress {
    void report(double fraction, String stage);
  }

  private TextAnalysis() {
  }

  public static List<String> sentences(String text) {
    BreakIterator it = BreakIterator.getSentenceInstance(Locale.ROOT);
    it.setText(text);
    List<String> out = new ArrayList<>();
    for (int start = it.first(), end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
      String s = collapseSpaces(text, start, end);
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * {@code text[start, end)} stripped, with every run of regex {@code \\s} characters as one space
   * (what {@code strip().replaceAll("\\s+", " ")} gives, in one pass and without a regex).
   */
  private static String collapseSpaces(String text, int start, int end) {
    while (start < end && Character.isWhitespace(text.charAt(start))) {
      start++;
    }
    while (end > start && Character.isWhitespace(text.charAt(end - 1))) {
      end--;
    }
    StringBuilder out = null;
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      if (isRegexSpace(c) && (c != ' ' || i + 1 < end && isRegexSpace(text.charAt(i + 1)))) {
        if (out == null) {
          out = new StringBuilder(end - start).append(text, start, i);
        }
        out.append(' ');
        while (i + 1 < end && isRegexSpace(text.charAt(i + 1))) {
          i++;
        }
      } else if (out != null) {
        out.append(c);
      }
    }
    return out == null ? text.substring(start, end) : out.toString();
  }

  private static boolean isRegexSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
  }

  private static boolean isTrailing(char c) {
    return c == '\'' || c == '’' || c == '-';
  }

  /**
   * The words of {@code sentence} that count: matches of {@code \\p{L}[\\p{L}\\p{N}'’-]*} (a letter,
   * then letters, digits, apostrophes and hyphens) without trailing apostrophes and hyphens, lower
   * case, at least three characters, no stop words. One pass over the code points (the regex
   * matcher was most of the analysis's time).
   */
  public static List<String> words(String sentence) {
    List<String> out = new ArrayList<>();
    int n = sentence.length();
    int i = 0;
    while (i < n) {
      int cp = sentence.codePointAt(i);
      if (!Character.isLetter(cp)) {
        i += Character.charCount(cp);
        continue;
      }
      int start = i;
      i += Character.charCount(cp);
      while (i < n) {
        int next = sentence.codePointAt(i);
        if (!inWord(next)) {
          break;
        }
        i += Character.charCount(next);
      }
      int end = i;
      while (end > start && isTrailing(sentence.charAt(end - 1))) {
        end--;
      }
      String w = sentence.substring(start, end).toLowerCase(Locale.ROOT);
      if (w.length() >= 3 && !STOP_WORDS.contains(w)) {
        out.add(w);
      }
    }
    return out;
  }

  /** {@code [\\p{L}\\p{N}'’-]}. */
  private static boolean inWord(int cp) {
    if (cp < 0x80) {
      return cp >= 'a' && cp <= 'z' || cp >= 'A' && cp <= 'Z' || cp >= '0' && cp <= '9' || cp == '\'' || cp == '-';
    }
    if (cp == '’' || Character.isLetter(cp)) {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER || type == Character.OTHER_NUMBER;
  }

  /**
   * Summarises {@code text}: at most {@code maxSentences} sentences (about a fifth of the text) and
   * {@code maxKeywords} keywords, most frequent first (ties alphabetical).
   */
  public static Result analyse(String text, int maxSentences, int maxKeywords, Progress progress) {
    List<String> sentences = sentences(text);
    progress.report(0.1, "parsing");
    List<List<String>> wordsOf = new ArrayList<>(sentences.size());
    Map<String, Integer> freq = new HashMap<>();
    int step = Math.max(1, sentences.size() / 20);
    for (int i = 0; i < sentences.size(); i++) {
      List<String> words = words(sentences.get(i));
      wordsOf.add(words);
      words.forEach(w -> freq.merge(w, 1, Integer::sum));
      if (i % step == 0) {
        progress.report(0.1 + 0.4 * i / sentences.size(), "parsing");
      }
    }
    int top = freq.values().stream().max(Integer::compare).orElse(1);
    double[] score = new double[sentences.size()];
    for (int i = 0; i < sentences.size(); i++) {
      List<String> words = wordsOf.get(i);
      double sum = 0;
      for (String w : words) {
        sum += (double) freq.get(w) / top;
      }
      score[i] = words.isEmpty() ? 0 : sum / Math.sqrt(words.size());
      if (i % step == 0) {
        progress.report(0.5 + 0.4 * i / sentences.size(), "scoring");
      }
    }
    int keep = Math.max(1, Math.min(maxSentences, (int) Math.ceil(sentences.size() / 5.0)));
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < sentences.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.<Integer>comparingDouble(i -> -score[i]).thenComparingInt(i -> i));
    List<Integer> chosen = new ArrayList<>(order.subList(0, Math.min(keep, order.size())));
    chosen.sort(Integer::compare);
    StringBuilder summary = new StringBuilder();
    for (int i : chosen) {
      summary.append(summary.length() == 0 ? "" : " ").append(sentences.get(i));
    }
    List<String> keywords = freq.entrySet().stream()
      .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
      .limit(maxKeywords).map(Map.Entry::getKey).toList();
    progress.report(0.95, "summarizing");
    return new Result(summary.toString(), keywords, sentences.size());
  }
}
