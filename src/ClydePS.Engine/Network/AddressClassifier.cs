using System.Net;
using System.Net.Sockets;

namespace ClydePS.Engine.Network;

/// <summary>
/// Decides whether an address is publicly routable, per ARCHITECTURE.md "Node network class".
/// Not public: loopback, link-local, RFC 1918, CGNAT 100.64.0.0/10, IPv6 ULA fc00::/7 and link-local
/// fe80::/10, IPv4-mapped forms of those, and addresses that can never identify a host
/// (unspecified, multicast, broadcast, 0.0.0.0/8).
/// </summary>
public static class AddressClassifier
{
    public static bool IsPublic(string? address) =>
        IPAddress.TryParse(address?.Trim(), out IPAddress? ip) && IsPublic(ip);

    public static bool IsPublic(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        return ip.AddressFamily switch
        {
            AddressFamily.InterNetwork => IsPublicV4(ip.GetAddressBytes()),
            AddressFamily.InterNetworkV6 => IsPublicV6(ip),
            _ => false,
        };
    }

    private static bool IsPublicV4(byte[] b)
    {
        return !(b[0] == 0                                   // 0.0.0.0/8 "this network"
            || b[0] == 10                                    // RFC 1918
            || b[0] == 127                                   // loopback
            || (b[0] == 100 && (b[1] & 0xC0) == 64)          // CGNAT 100.64.0.0/10
            || (b[0] == 169 && b[1] == 254)                  // link-local
            || (b[0] == 172 && (b[1] & 0xF0) == 16)          // RFC 1918 172.16.0.0/12
            || (b[0] == 192 && b[1] == 168)                  // RFC 1918
            || b[0] >= 224);                                 // multicast, reserved, broadcast
    }

    private static bool IsPublicV6(IPAddress ip)
    {
        if (IPAddress.IPv6Loopback.Equals(ip) || IPAddress.IPv6None.Equals(ip) || ip.IsIPv6Multicast)
        {
            return false;
        }

        byte[] b = ip.GetAddressBytes();
        bool uniqueLocal = (b[0] & 0xFE) == 0xFC;            // fc00::/7
        bool linkLocal = b[0] == 0xFE && (b[1] & 0xC0) == 0x80; // fe80::/10
        return !uniqueLocal && !linkLocal;
    }
}
