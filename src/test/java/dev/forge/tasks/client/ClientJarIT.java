package dev.forge.tasks.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * {@code target/tasks-client.jar} is what a service depends on: only {@code client/} and {@code bus/},
 * and nothing in it may need a class outside itself, Vert.x core and vertx-hazelcast (with their own
 * dependencies: Netty, Jackson core, Hazelcast). An import of a server class (the store, the pg
 * client, Micrometer, SLF4J...) into either package fails this test.
 */
class ClientJarIT {

  private static final Path JAR = Path.of("target", "tasks-client.jar");

  /** The jars of vertx-core and vertx-hazelcast and of what they depend on, as the installed client pom lists them. */
  private static final List<String> CLIENT_DEPENDENCIES = List.of(
    "/io/vertx/vertx-core/", "/io/vertx/vertx-hazelcast/", "/com/hazelcast/hazelcast/", "/io/netty/",
    "/com/fasterxml/jackson/core/jackson-core/");

  private static List<Path> clientClassPath() {
    List<Path> jars = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String unix = entry.replace(File.separatorChar, '/');
      if (unix.endsWith(".jar") && CLIENT_DEPENDENCIES.stream().anyMatch(unix::contains)) {
        jars.add(Path.of(entry));
      }
    }
    return jars;
  }

  private static List<String> classNames() throws IOException {
    try (ZipFile zip = new ZipFile(JAR.toFile())) {
      return zip.stream().map(ZipEntry::getName).filter(n -> n.endsWith(".class"))
        .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.')).toList();
    }
  }

  @Test
  void holdsTheClientAndBusPackagesOnly() throws Exception {
    assertTrue(Files.isRegularFile(JAR), "run mvn package first");
    List<String> names = classNames();
    assertTrue(names.contains(TasksClient.class.getName()), names.toString());
    assertTrue(names.contains(ClusterConfig.class.getName()), names.toString());
    assertTrue(names.contains(Addresses.class.getName()), names.toString());
    for (String name : names) {
      assertTrue(name.startsWith("dev.forge.tasks.client.") || name.startsWith("dev.forge.tasks.bus."), name);
    }
  }

  @Test
  void needsNothingButVertxAndHazelcast() throws Exception {
    List<Path> classPath = clientClassPath();
    assertTrue(classPath.stream().anyMatch(p -> p.toString().contains("vertx-hazelcast")), classPath.toString());
    // jdeps reads every method body: a reference to any class that is neither in the jar, nor in
    // these dependencies, nor in the JDK is "not found".
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    StringWriter out = new StringWriter();
    int rc = jdeps.run(new PrintWriter(out), new PrintWriter(out), "--multi-release", "17", "--missing-deps",
      "--class-path", String.join(File.pathSeparator, classPath.stream().map(Path::toString).toList()), JAR.toString());
    assertEquals(0, rc, out.toString());
    assertEquals("", out.toString().trim(), "the client jar needs classes outside it and its dependencies:\n" + out);

    // And every class loads and links in a class loader that has only the jar and those dependencies.
    List<URL> urls = new ArrayList<>();
    urls.add(JAR.toUri().toURL());
    for (Path p : classPath) {
      urls.add(p.toUri().toURL());
    }
    try (URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
      for (String name : classNames()) {
        Class<?> c = Class.forName(name, true, loader);
        assertEquals(loader, c.getClassLoader(), name);
        Arrays.asList(c.getDeclaredMethods()).forEach(m -> m.getGenericReturnType());
        Arrays.asList(c.getDeclaredFields()).forEach(f -> f.getGenericType());
      }
    }
  }
}
