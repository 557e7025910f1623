using ClydePS.Engine.Network;
using Xunit;

namespace ClydePS.Engine.Tests.Network;

public class AddressClassifierTests
{
    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("34.1.2.3")]
    [InlineData("100.63.255.255")]   // just below CGNAT 100.64.0.0/10
    [InlineData("100.128.0.0")]      // just above it
    [InlineData("172.15.255.255")]   // just below 172.16.0.0/12
    [InlineData("172.32.0.0")]       // just above it
    [InlineData("192.167.255.255")]
    [InlineData("169.253.1.1")]
    [InlineData("11.0.0.1")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("2600:1f18::1")]
    [InlineData("::ffff:8.8.8.8")]   // IPv4-mapped public
    [InlineData("fbff:ffff::1")]     // just below fc00::/7
    [InlineData("fe00::1")]          // just below fe80::/10
    [InlineData("fec0::1")]          // just above it (deprecated site-local, routable in the definition)
    [InlineData(" 8.8.4.4 ")]
    public void Public_addresses(string address) => Assert.True(AddressClassifier.IsPublic(address), address);

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("10.255.255.255")]
    [InlineData("172.16.0.0")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("100.64.0.0")]       // CGNAT, both ends
    [InlineData("100.127.255.255")]
    [InlineData("127.0.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fc00::1")]          // ULA, both halves of fc00::/7
    [InlineData("fd12:3456::1")]
    [InlineData("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("fe80::1")]          // link-local fe80::/10, both ends
    [InlineData("febf:ffff::1")]
    [InlineData("::ffff:10.1.2.3")]  // IPv4-mapped private
    [InlineData("::ffff:100.64.1.1")]
    [InlineData("ff02::1")]
    [InlineData("not-an-ip")]
    [InlineData("")]
    [InlineData(null)]
    public void Not_public_addresses(string? address) => Assert.False(AddressClassifier.IsPublic(address), address ?? "null");
}
