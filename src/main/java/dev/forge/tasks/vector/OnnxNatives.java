package dev.forge.tasks.vector;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the native libraries of ONNX Runtime and of the tokenizer come from.
 *
 * <p>ONNX Runtime copies its two libraries out of its jar into a new {@code onnxruntime-java*}
 * directory under {@code java.io.tmpdir} at every start, and may leave it behind. Here they are
 * copied once into {@code <tmpdir>/tasks-server-onnxruntime-<platform>} (again only when a jar's
 * copy differs in size) and ONNX Runtime is pointed at it with {@code onnxruntime.native.path},
 * unless the operator set that property. DJL's tokenizer keeps its library in {@code DJL_CACHE_DIR}
 * (default {@code ~/.djl.ai}); {@code ai.djl.offline} is set so that it never tries a download.
 */
final class OnnxNatives {

  private static final Logger LOG = LoggerFactory.getLogger(OnnxNatives.class);
  private static final String PATH_PROPERTY = "onnxruntime.native.path";
  private static final List<String> LIBRARIES = List.of("libonnxruntime.so", "libonnxruntime4j_jni.so");

  private OnnxNatives() {
  }

  static synchronized void prepare() {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    String platform = platform();
    if (System.getProperty(PATH_PROPERTY) != null || platform == null) {
      return; // the operator's choice, or a platform whose libraries ONNX Runtime finds by itself
    }
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "tasks-server-onnxruntime-" + platform);
    try {
      Files.createDirectories(dir);
      for (String lib : LIBRARIES) {
        URL url = OnnxNatives.class.getClassLoader().getResource("ai/onnxruntime/native/" + platform + "/" + lib);
        if (url == null) {
          return;
        }
        URLConnection connection = url.openConnection();
        Path target = dir.resolve(lib);
        if (Files.isRegularFile(target) && Files.size(target) == connection.getContentLengthLong()) {
          continue;
        }
        Path part = Files.createTempFile(dir, lib, ".part");
        try (InputStream in = connection.getInputStream()) {
          Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
      System.setProperty(PATH_PROPERTY, dir.toString());
    } catch (IOException e) {
      LOG.warn("Cannot prepare ONNX Runtime's libraries in {} ({}); it extracts them itself", dir, e.toString());
    }
  }

  private static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!os.contains("linux")) {
      return null;
    }
    return switch (arch) {
      case "amd64", "x86_64" -> "linux-x64";
      case "aarch64", "arm64" -> "linux-aarch64";
      default -> null;
    };
  }
}
