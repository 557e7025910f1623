using ClydePS.Engine.Util;
using Xunit;

namespace ClydePS.Engine.Tests.Util;

public class DurationParserTests
{
    public static TheoryData<object, double> Valid => new()
    {
        { TimeSpan.FromMinutes(2), 120 },
        { 90, 90 },
        { 2.5, 2.5 },
        { 30L, 30 },
        { "90", 90 },
        { "1.5", 1.5 },
        { "90s", 90 },
        { "5m", 300 },
        { "1h", 3600 },
        { "1h30m", 5400 },
        { "2m30s", 150 },
        { "250ms", 0.25 },
        { "00:01:30", 90 },
        { " 10S ", 10 },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parses(object input, double seconds)
    {
        Assert.True(DurationParser.TryParse(input, out TimeSpan d));
        Assert.Equal(seconds, d.TotalSeconds, 6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("-5")]
    [InlineData("5x")]
    [InlineData("m")]
    [InlineData(-1)]
    public void Rejects(object input)
    {
        Assert.False(DurationParser.TryParse(input, out _));
        var ex = Assert.Throws<ClydeException>(() => DurationParser.Parse(input, "Timeout"));
        Assert.Equal("ClydeInvalidDuration", ex.ErrorId);
        Assert.Equal(ClydeErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("-Timeout", ex.Message);
    }

    [Fact]
    public void A_bare_integer_is_seconds_never_ticks() =>
        Assert.Equal(TimeSpan.FromSeconds(600), DurationParser.Parse(600, "Timeout"));
}

public class NamePatternTests
{
    [Theory]
    [InlineData("node-1", "node-1", true)]
    [InlineData("NODE-1", "node-1", true)]
    [InlineData("node-*", "node-17", true)]
    [InlineData("node-?", "node-17", false)]
    [InlineData("node-[12]*", "node-17", true)]
    [InlineData("node-[3-5]", "node-4", true)]
    [InlineData("*-gpu", "node-1", false)]
    [InlineData("node.1", "node-1", false)]
    public void Matches_like_powershell(string pattern, string name, bool expected) =>
        Assert.Equal(expected, new NamePattern(pattern).IsMatch(name));
}
