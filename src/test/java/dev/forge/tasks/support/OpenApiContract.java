package dev.forge.tasks.support;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.impl.ClientPhase;
import io.vertx.ext.web.client.impl.HttpContext;
import io.vertx.ext.web.client.impl.WebClientInternal;
import io.vertx.ext.web.multipart.MultipartForm;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OpenAPI document the server ships ({@code webroot/openapi.json}) as a test oracle: every
 * request a test sends and every response it gets must agree with it, so that the document cannot
 * drift from the server. A request the document allows must get a response the document describes
 * (status, media type, JSON Schema of the body, required headers); a request it does not allow
 * (an unknown path or method, an undeclared or malformed parameter, a body against the schema) must
 * be refused with a 4xx and the JSON error. JSON Schemas are checked with networknt's validator in
 * the OpenAPI 3.1 dialect.
 */
public final class OpenApiContract {

  private static final String BASE = "https://tasks.invalid/openapi.json";
  /** Where the interceptor keeps the request body, which the context no longer holds once the response is in. */
  private static final String BODY = "openapi.request.body";
  private static final OpenApiContract INSTANCE = new OpenApiContract();

  private final JsonObject doc;
  private final SchemaRegistry registry;
  private final Map<String, Schema> schemas = new ConcurrentHashMap<>();
  private final List<Template> templates = new ArrayList<>();

  /** A path of the document as a pattern; fewer variables win when several match. */
  private record Template(String path, Pattern pattern, List<String> names) {
  }

  /** An object of the document and its JSON pointer (for schema locations). */
  private record Node(JsonObject json, String pointer) {
  }

  private OpenApiContract() {
    String text = resource("webroot/openapi.json");
    doc = new JsonObject(text);
    registry = SchemaRegistry.withDefaultDialect(Dialects.getOpenApi31(), b -> b.schemas(Map.of(BASE, text)));
    for (String path : doc.getJsonObject("paths").fieldNames()) {
      List<String> names = new ArrayList<>();
      Matcher m = Pattern.compile("\\{([^}]+)}").matcher(path);
      StringBuilder regex = new StringBuilder();
      int last = 0;
      while (m.find()) {
        regex.append(Pattern.quote(path.substring(last, m.start()))).append("([^/]+)");
        names.add(m.group(1));
        last = m.end();
      }
      regex.append(Pattern.quote(path.substring(last)));
      templates.add(new Template(path, Pattern.compile(regex.toString()), names));
    }
    templates.sort((a, b) -> Integer.compare(a.names().size(), b.names().size()));
  }

  public static OpenApiContract get() {
    return INSTANCE;
  }

  /** The document. */
  public JsonObject document() {
    return doc;
  }

  /** The path template of the document that {@code path} matches, or null. */
  public String template(String path) {
    for (Template t : templates) {
      if (t.pattern().matcher(path).matches()) {
        return t.path();
      }
    }
    return null;
  }

  /**
   * Adds to {@code client} a check of every exchange against the document: a disagreement fails
   * the request's future with an {@link AssertionError} that says what disagreed.
   */
  public static WebClient validating(WebClient client) {
    ((WebClientInternal) client).addInterceptor(ctx -> {
      if (ctx.phase() == ClientPhase.PREPARE_REQUEST || ctx.phase() == ClientPhase.SEND_REQUEST) {
        if (ctx.body() != null) {
          ctx.set(BODY, ctx.body());
        }
      } else if (ctx.phase() == ClientPhase.DISPATCH_RESPONSE) {
        List<String> problems;
        try {
          problems = INSTANCE.check(ctx);
        } catch (RuntimeException | LinkageError e) {
          ctx.fail(e);
          return;
        }
        if (!problems.isEmpty()) {
          ctx.fail(new AssertionError("The exchange disagrees with openapi.json: " + problems));
          return;
        }
      }
      ctx.next();
    });
    return client;
  }

  private List<String> check(HttpContext<?> ctx) {
    MultiMap requestHeaders = MultiMap.caseInsensitiveMultiMap().addAll(ctx.request().headers());
    if (ctx.requestOptions().getHeaders() != null) {
      requestHeaders.addAll(ctx.requestOptions().getHeaders());
    }
    Object body = ctx.get(BODY);
    Buffer requestBody;
    if (body instanceof MultipartForm) {
      // The form is encoded while it is sent: check its media type, not its parts.
      requestHeaders.set("Content-Type", "multipart/form-data");
      requestBody = Buffer.buffer("(multipart form)");
    } else {
      requestBody = body == null ? null : body instanceof Buffer b ? b
        : body instanceof JsonObject j ? j.toBuffer() : Buffer.buffer(Json.encode(body));
    }
    HttpResponse<?> response = ctx.response();
    return exchange(ctx.requestOptions().getMethod(), ctx.requestOptions().getURI(), requestHeaders, requestBody,
      response.statusCode(), response.headers(), response.bodyAsBuffer());
  }

  /**
   * Checks one exchange; the empty list when it agrees with the document. {@code responseBody}
   * may be null for a stream whose body is not read here.
   */
  public List<String> exchange(HttpMethod method, String uri, MultiMap requestHeaders, Buffer requestBody,
                               int status, MultiMap responseHeaders, Buffer responseBody) {
    String exchange = method + " " + uri + " -> " + status + ": ";
    List<String> requestProblems = new ArrayList<>();
    Node operation = operation(method, uri, requestProblems, requestHeaders, requestBody);
    List<String> problems = new ArrayList<>();
    if (operation == null || !requestProblems.isEmpty()) {
      // A request the document does not allow: the server must refuse it with the JSON error.
      if (status < 400 || status > 499) {
        problems.add(exchange + "a request the document does not allow " + requestProblems + " got " + status);
      }
      if (operation == null) {
        problems.addAll(prefixed(exchange, json(responseHeaders, responseBody, "#/components/schemas/Error")));
        return problems;
      }
    }
    JsonObject responses = operation.json().getJsonObject("responses");
    String key = responses.containsKey(Integer.toString(status)) ? Integer.toString(status)
      : responses.containsKey("default") ? "default" : null;
    if (key == null) {
      problems.add(exchange + "status " + status + " is not among " + responses.fieldNames());
      return problems;
    }
    Node described = resolve(new Node(responses.getJsonObject(key), operation.pointer() + "/responses/" + escape(key)));
    JsonObject headers = described.json().getJsonObject("headers", new JsonObject());
    for (String name : headers.fieldNames()) {
      JsonObject header = resolve(new Node(headers.getJsonObject(name), "")).json();
      if (header.getBoolean("required", false) && responseHeaders.get(name) == null) {
        problems.add(exchange + "header " + name + " is missing");
      }
    }
    JsonObject content = described.json().getJsonObject("content");
    String media = media(responseHeaders.get("Content-Type"));
    if (content == null) {
      if (responseBody != null && responseBody.length() > 0) {
        problems.add(exchange + "a body where the document describes none");
      }
    } else if (!content.containsKey(media)) {
      problems.add(exchange + "Content-Type " + media + " is not among " + content.fieldNames());
    } else if (media.equals("application/json") && responseBody != null) {
      JsonObject mediaType = content.getJsonObject(media);
      if (mediaType.containsKey("schema")) {
        String pointer = described.pointer() + "/content/" + escape(media) + "/schema";
        problems.addAll(prefixed(exchange, validate(pointer, responseBody.toString(StandardCharsets.UTF_8))));
      }
    }
    return problems;
  }

  /** The operation for the request, or null (with the reason in {@code problems}); checks its parameters and body. */
  private Node operation(HttpMethod method, String uri, List<String> problems, MultiMap headers, Buffer body) {
    QueryStringDecoder decoded = new QueryStringDecoder(uri);
    String path = decoded.path();
    for (Template t : templates) {
      Matcher m = t.pattern().matcher(path);
      if (!m.matches()) {
        continue;
      }
      String pathPointer = "#/paths/" + escape(t.path());
      JsonObject item = doc.getJsonObject("paths").getJsonObject(t.path());
      String verb = method.name().toLowerCase(Locale.ROOT);
      if (!item.containsKey(verb)) {
        problems.add("no " + method + " on " + t.path());
        return null;
      }
      Node operation = new Node(item.getJsonObject(verb), pathPointer + "/" + verb);
      List<Node> parameters = new ArrayList<>();
      collect(item.getJsonArray("parameters"), pathPointer + "/parameters", parameters);
      collect(operation.json().getJsonArray("parameters"), operation.pointer() + "/parameters", parameters);
      Map<String, List<String>> query = decoded.parameters();
      for (String name : query.keySet()) {
        if (parameters.stream().noneMatch(p -> p.json().getString("in").equals("query") && p.json().getString("name").equals(name))) {
          problems.add("query parameter '" + name + "' is not declared");
        }
      }
      for (Node p : parameters) {
        String in = p.json().getString("in");
        String name = p.json().getString("name");
        List<String> values = switch (in) {
          case "query" -> query.getOrDefault(name, List.of());
          case "path" -> List.of(QueryStringDecoder.decodeComponent(m.group(t.names().indexOf(name) + 1)));
          case "header" -> headers.getAll(name);
          default -> List.of();
        };
        if (values.isEmpty() && p.json().getBoolean("required", false)) {
          problems.add(in + " parameter '" + name + "' is required");
        }
        if (values.size() > 1 && !in.equals("header")) {
          problems.add(in + " parameter '" + name + "' is given " + values.size() + " times");
        }
        for (String value : values) {
          problems.addAll(prefixed(in + " parameter '" + name + "': ", parameter(p, value)));
        }
      }
      JsonObject requestBody = operation.json().getJsonObject("requestBody");
      if (requestBody != null) {
        String media = media(headers.get("Content-Type"));
        JsonObject content = requestBody.getJsonObject("content");
        if (body == null || body.length() == 0) {
          if (requestBody.getBoolean("required", false)) {
            problems.add("the request body is required");
          }
        } else if (!content.containsKey(media)) {
          problems.add("request Content-Type " + media + " is not among " + content.fieldNames());
        } else if (media.equals("application/json")) {
          problems.addAll(validate(operation.pointer() + "/requestBody/content/" + escape(media) + "/schema",
            body.toString(StandardCharsets.UTF_8)));
        }
      }
      return operation;
    }
    problems.add("no path of the document matches " + path);
    return null;
  }

  private void collect(JsonArray parameters, String pointer, List<Node> into) {
    if (parameters == null) {
      return;
    }
    for (int i = 0; i < parameters.size(); i++) {
      into.add(resolve(new Node(parameters.getJsonObject(i), pointer + "/" + i)));
    }
  }

  /** A parameter's string value, read as its schema's type, against its schema. */
  private List<String> parameter(Node p, String value) {
    JsonObject schema = resolve(new Node(p.json().getJsonObject("schema"), p.pointer() + "/schema")).json();
    String json;
    if ("integer".equals(schema.getString("type"))) {
      if (!value.matches("-?\\d{1,18}")) {
        return List.of("'" + value + "' is not an integer");
      }
      json = value;
    } else {
      json = Json.encode(value);
    }
    return validate(p.pointer() + "/schema", json);
  }

  private List<String> json(MultiMap headers, Buffer body, String schemaPointer) {
    if (!"application/json".equals(media(headers.get("Content-Type")))) {
      return List.of("the error is not JSON (" + headers.get("Content-Type") + ")");
    }
    return validate(schemaPointer, body == null ? "null" : body.toString(StandardCharsets.UTF_8));
  }

  private List<String> validate(String pointer, String json) {
    Schema schema = schemas.computeIfAbsent(pointer, p -> registry.getSchema(SchemaLocation.of(BASE + p)));
    List<String> out = new ArrayList<>();
    for (Error e : schema.validate(json, InputFormat.JSON)) {
      out.add(e.getInstanceLocation() + " " + e.getMessage() + " (schema " + pointer + ")");
    }
    return out;
  }

  /** Follows a local {@code $ref}, keeping the pointer of where the object really is. */
  private Node resolve(Node node) {
    String ref = node.json().getString("$ref");
    if (ref == null) {
      return node;
    }
    JsonObject target = doc;
    for (String part : ref.substring(2).split("/")) {
      target = target.getJsonObject(part.replace("~1", "/").replace("~0", "~"));
    }
    return resolve(new Node(target, ref));
  }

  private static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  private static String media(String contentType) {
    return contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
  }

  private static List<String> prefixed(String prefix, List<String> problems) {
    return problems.stream().map(p -> prefix + p).toList();
  }

  private static String resource(String name) {
    try (InputStream in = OpenApiContract.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is not on the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
