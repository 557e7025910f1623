using ClydePS.Engine.Flex;

namespace ClydePS.Engine.Tests.Flex;

public class FlexCalculatorTests
{
    static Dictionary<string, string> Node(string? cpu, string? memory, string? storage)
    {
        var d = new Dictionary<string, string>();
        if (cpu is not null) d["cpu"] = cpu;
        if (memory is not null) d["memory"] = memory;
        if (storage is not null) d["ephemeral-storage"] = storage;
        return d;
    }

    [Fact]
    public void Truncates_each_share_in_base_units()
    {
        var a = FlexCalculator.Calculate(new FlexTemplateSpec(33, 15, 5), Node("7", "16Gi", "100Gi"));
        Assert.Equal(2310, a.CpuMillicores);                  // 7000m * 33% exactly
        Assert.Equal(2576980377L, a.MemoryBytes);             // 17179869184 * 0.15 = 2576980377.6, truncated
        Assert.Equal(5368709120L, a.StorageBytes);            // 5 Gi exactly
        Assert.Equal("2310m", a.Cpu);
        Assert.Equal("2576980377", a.Memory);
        Assert.Equal("5Gi", a.EphemeralStorage);
    }

    [Fact]
    public void Millicore_allocatable_is_truncated_not_rounded()
    {
        var a = FlexCalculator.Calculate(new FlexTemplateSpec(10, 10, 10), Node("3920m", "999", "1"));
        Assert.Equal(392, a.CpuMillicores);
        Assert.Equal(99, a.MemoryBytes);    // 99.9 -> 99
        Assert.Equal(0, a.StorageBytes);    // 0.1 -> 0, no minimum
    }

    [Fact]
    public void Shares_below_the_minimum_get_the_minimum()
    {
        var t = new FlexTemplateSpec(10, 15, 5, MinCpu: "100m", MinMemory: "128Mi", MinStorage: "1Gi");
        var small = FlexCalculator.Calculate(t, Node("500m", "512Mi", "10Gi"));
        Assert.Equal(100, small.CpuMillicores);            // 50m < 100m
        Assert.Equal(128L * 1024 * 1024, small.MemoryBytes); // 76.8Mi < 128Mi
        Assert.Equal(1L << 30, small.StorageBytes);        // 512Mi < 1Gi
        Assert.Equal("100m", small.Cpu);
        Assert.Equal("128Mi", small.Memory);
        Assert.Equal("1Gi", small.EphemeralStorage);

        var big = FlexCalculator.Calculate(t, Node("64", "256Gi", "1Ti"));
        Assert.Equal(6400, big.CpuMillicores);
        Assert.Equal("6400m", big.Cpu);
    }

    [Fact]
    public void Fractional_minimum_cpu_rounds_up_to_whole_millicores()
    {
        var a = FlexCalculator.Calculate(new FlexTemplateSpec(1, 1, 1, MinCpu: "0.0005"), Node("10m", "1", "1"));
        Assert.Equal(1, a.CpuMillicores);
    }

    [Fact]
    public void A_resource_the_node_does_not_report_gets_the_minimum_or_nothing()
    {
        var withMin = FlexCalculator.Calculate(new FlexTemplateSpec(10, 10, 10, MinStorage: "2Gi"), Node("4", "8Gi", null));
        Assert.Equal(2L << 30, withMin.StorageBytes);
        var withoutMin = FlexCalculator.Calculate(new FlexTemplateSpec(10, 10, 10), Node("4", null, null));
        Assert.Equal(400, withoutMin.CpuMillicores);
        Assert.Null(withoutMin.MemoryBytes);
        Assert.Null(withoutMin.StorageBytes);
        Assert.Equal(["cpu"], withoutMin.ToResourceList().Keys);
    }

    [Fact]
    public void An_unparsable_node_quantity_counts_as_missing()
    {
        var a = FlexCalculator.Calculate(new FlexTemplateSpec(10, 10, 10, MinMemory: "64Mi"), Node("4", "lots", "1Gi"));
        Assert.Equal(64L << 20, a.MemoryBytes);
    }

    [Fact]
    public void Huge_values_do_not_overflow()
    {
        var a = FlexCalculator.Calculate(new FlexTemplateSpec(50, 100, 100), Node("1e15", "4Ei", "8Ei"));
        Assert.Equal(500_000_000_000_000_000L, a.CpuMillicores);   // 1e15 cores = 1e18 millicores, half of it
        Assert.Equal(4L << 60, a.MemoryBytes);
        Assert.Equal("4Ei", a.Memory);
        Assert.Equal(long.MaxValue, a.StorageBytes);              // 8Ei = 2^63 does not fit: clamped
    }

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(1L, "1")]
    [InlineData(1024L, "1Ki")]
    [InlineData(134217728L, "128Mi")]
    [InlineData(2000L, "2k")]
    [InlineData(3_000_000_000L, "3G")]
    [InlineData(1536L, "1536")]         // 1.5Ki is not canonical: plain bytes
    [InlineData(1610612737L, "1610612737")]
    public void Bytes_are_formatted_canonically(long bytes, string expected) => Assert.Equal(expected, FlexQuantity.FormatBytes(bytes));

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(392L, "392m")]
    [InlineData(2000L, "2")]
    [InlineData(2500L, "2500m")]
    public void Cpu_is_formatted_canonically(long millicores, string expected) => Assert.Equal(expected, FlexQuantity.FormatMillicores(millicores));

    [Theory]
    [InlineData("100m", 0.1)]
    [InlineData("1.5", 1.5)]
    [InlineData("128Mi", 134217728)]
    [InlineData("1G", 1e9)]
    [InlineData("1e3", 1000)]
    [InlineData(".5", 0.5)]
    public void Quantities_parse(string text, double expected)
    {
        Assert.True(FlexQuantity.TryParse(text, out var v));
        Assert.Equal((decimal)expected, v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.5.1")]
    [InlineData("12 Mi")]
    [InlineData("1mi")]
    [InlineData("Mi")]
    public void Non_quantities_are_rejected(string text) => Assert.False(FlexQuantity.TryParse(text, out _));

    [Theory]
    [InlineData(0, 10, 10)]
    [InlineData(10, 101, 10)]
    [InlineData(10, 10, -1)]
    public void Percentages_outside_1_to_100_are_rejected(int cpu, int mem, int storage)
    {
        var e = Assert.Throws<ClydeException>(() => new FlexTemplateSpec(cpu, mem, storage).Validate());
        Assert.Equal(FlexErrorIds.InvalidPercentage, e.ErrorId);
    }

    [Fact]
    public void A_bad_minimum_is_rejected()
    {
        var e = Assert.Throws<ClydeException>(() => new FlexTemplateSpec(10, 10, 10, MinMemory: "lots").Validate());
        Assert.Equal(FlexErrorIds.InvalidQuantity, e.ErrorId);
    }

    [Fact]
    public void App_containers_split_the_pod_amount_and_the_first_takes_the_remainder()
    {
        var pod = new FlexAllocation(1000, 1000, null);
        var shares = FlexCalculator.Share(pod, [new("a"), new("b"), new("c")]);
        Assert.Equal([334L, 333L, 333L], shares.Select(s => s.CpuMillicores!.Value));
        Assert.Equal(pod.CpuMillicores, shares.Sum(s => s.CpuMillicores));
        Assert.Equal(pod.MemoryBytes, shares.Sum(s => s.MemoryBytes));
        Assert.All(shares, s => Assert.Null(s.StorageBytes));
    }

    [Fact]
    public void Init_containers_get_the_pod_amount_less_the_sidecars_started_before_them()
    {
        var pod = new FlexAllocation(900, 900, 900);
        var shares = FlexCalculator.Share(pod,
        [
            new("setup", Init: true),
            new("proxy", Init: true, Sidecar: true),
            new("migrate", Init: true),
            new("app"),
            new("helper"),
        ]);
        Assert.Equal(900, shares[0].CpuMillicores);   // runs alone
        Assert.Equal(300, shares[1].CpuMillicores);   // a sidecar shares with the app containers
        Assert.Equal(600, shares[2].CpuMillicores);   // runs beside the sidecar
        Assert.Equal(300, shares[3].CpuMillicores);
        Assert.Equal(300, shares[4].CpuMillicores);
        // The scheduler's effective request: max(sum of sidecars + app containers, each init + sidecars before it).
        Assert.Equal(900, shares[1].CpuMillicores + shares[3].CpuMillicores + shares[4].CpuMillicores);
    }
}
