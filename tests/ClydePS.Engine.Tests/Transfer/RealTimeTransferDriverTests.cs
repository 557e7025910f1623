using ClydePS.Engine.Transfer;

namespace ClydePS.Engine.Tests.Transfer;

public class RealTimeTransferDriverTests
{
    [Fact]
    public async Task CompletesPullsInScaledTime()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = 100 });
        net.AddNode("n", 10);
        var clock = RealTimeTransferDriver.ScaledClock(20);
        await using var driver = new RealTimeTransferDriver(net, clock, 20);
        var pull = driver.Run(n => n.StartPull("n", [new TransferLayer("sha256:aa", 2 * 1_048_576)]));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var result = await pull.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(PullStatus.Completed, result.Status);
        // 0.2 s of model time at 20x = 10 ms wall; the model says exactly 0.2 s from its start
        Assert.InRange(result.EndTime - result.StartTime, 0.2 - 1e-6, 0.2 + 1e-6);
        Assert.True(clock() >= result.EndTime);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
    }
}
