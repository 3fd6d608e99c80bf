package dev.forge.tasks.webhook;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where webhooks may go: {@code https} anywhere public, {@code http} only to the operator's allowed
 * hosts ({@code TASKS_WEBHOOK_ALLOWED_HOSTS}), and never to a private, loopback, link-local or
 * otherwise non-public address unless the host is allowed. The address is checked after
 * resolution, and the sender connects to the very address it checked.
 */
public final class Destinations {

  private static final Pattern IPV4 = Pattern.compile("[0-9.]+");

  private final List<String> allowedHosts;

  public Destinations(List<String> allowedHosts) {
    this.allowedHosts = allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
  }

  /** True when the operator allows {@code host} (http, and any address). */
  public boolean allowed(String host) {
    return allowedHosts.contains(host.toLowerCase(Locale.ROOT));
  }

  /**
   * The endpoint URL, checked as far as it can be without resolving it; 400 {@code invalid_parameter}
   * ({@code url}) otherwise.
   */
  public URI check(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw invalid("The url is not a valid URL.");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String host = uri.getHost();
    if (!uri.isAbsolute() || host == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
      throw invalid("The url must be absolute, with a host, and without user information or fragment.");
    }
    if (!scheme.equals("https") && !(scheme.equals("http") && allowed(host))) {
      throw invalid("The url must use https (http only to hosts the operator allows).");
    }
    InetAddress literal = literal(host);
    if (literal != null && !allowed(host) && !isPublic(literal)) {
      throw invalid("The url names a private, loopback or link-local address.");
    }
    return uri;
  }

  /** The port the URL names, or its scheme's. */
  public static int port(URI uri) {
    return uri.getPort() >= 0 ? uri.getPort() : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
  }

  /** True for an address on the public internet. */
  public static boolean isPublic(InetAddress a) {
    if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
      || a.isMulticastAddress()) {
      return false;
    }
    byte[] b = a.getAddress();
    int b0 = b[0] & 0xff;
    int b1 = b[1] & 0xff;
    if (b.length == 4) {
      boolean reserved = b0 == 0 || b0 >= 240
        || (b0 == 100 && (b1 & 0xc0) == 64)          // 100.64/10, carrier-grade NAT
        || (b0 == 192 && b1 == 0 && (b[2] & 0xff) == 0) // 192.0.0/24, protocol assignments
        || (b0 == 198 && (b1 == 18 || b1 == 19));       // 198.18/15, benchmarking
      return !reserved;
    }
    if ((b0 & 0xfe) == 0xfc) {
      return false; // fc00::/7, unique local
    }
    if (b0 == 0x00 && b1 == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
      return false; // 64:ff9b::/96 NAT64: may reach any IPv4 address
    }
    return true;
  }

  /** The address a literal IP host names, without any lookup; null for a name. */
  static InetAddress literal(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    boolean ipv4 = IPV4.matcher(h).matches();
    if (!ipv4 && !h.contains(":")) {
      return null;
    }
    try {
      return InetAddress.getByName(h); // a literal: parsed, never looked up
    } catch (UnknownHostException e) {
      throw invalid("The url's host is not a valid address.");
    }
  }

  private static ApiException invalid(String message) {
    return new ApiException(ApiError.invalidParameter("url", message));
  }
}
