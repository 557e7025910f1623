using ClydePS.Engine.Seeders;

namespace ClydePS.Engine.Tests.Seeders;

public sealed class SeederTrackerTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "clyde-tracker-" + Guid.NewGuid().ToString("N"));

    private string Tracker => Path.Combine(dir, "seeder_tracker.json");

    public void Dispose()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void WritesAJsonArrayOfNamesAndReadsItBack()
    {
        SeederTracker.Write(Tracker, ["node-b", "node-a"]);
        Assert.Equal("[\"node-b\",\"node-a\"]\n", File.ReadAllText(Tracker));
        var read = SeederTracker.Read(Tracker);
        Assert.True(read.Exists);
        Assert.False(read.IsCorrupt);
        Assert.Equal(["node-b", "node-a"], read.Names);
        Assert.False(File.Exists(SeederTracker.TempPathOf(Tracker)), "the temporary file is renamed over the tracker");
    }

    [Fact]
    public void ReadsTheOriginalToolsFormatAndDropsDuplicates()
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Tracker, "[\"worker-1\", \"worker-2\", \"worker-1\"]");
        Assert.Equal(["worker-1", "worker-2"], SeederTracker.Read(Tracker).Names);
    }

    [Fact]
    public void AMissingTrackerIsAnEmptyPoolNotACorruptOne()
    {
        var read = SeederTracker.Read(Tracker);
        Assert.False(read.Exists);
        Assert.False(read.IsCorrupt);
        Assert.Empty(read.Names);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("[\"node-a\", ")]
    [InlineData("{\"seeders\": [\"a\"]}")]
    [InlineData("[1, 2]")]
    [InlineData("[\"a\", null]")]
    [InlineData("[\"\"]")]
    [InlineData("\"node-a\"")]
    public void AnythingButAnArrayOfNamesIsCorrupt(string text)
    {
        var parsed = SeederTracker.Parse(text);
        Assert.True(parsed.IsCorrupt);
        Assert.False(string.IsNullOrWhiteSpace(parsed.Corruption));
        Assert.Empty(parsed.Names);
    }

    [Fact]
    public void KeepsACopyOfACorruptTracker()
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Tracker, "garbage");
        string? copy = SeederTracker.KeepCorruptCopy(Tracker);
        Assert.Equal(SeederTracker.CorruptCopyPathOf(Tracker), copy);
        Assert.Equal("garbage", File.ReadAllText(copy!));
    }

    [Fact]
    public async Task ReadersNeverSeeAHalfWrittenTracker()
    {
        var names = Enumerable.Range(0, 400).Select(i => $"node-with-a-rather-long-name-{i:0000}").ToArray();
        SeederTracker.Write(Tracker, names.Take(1));
        using var stop = new CancellationTokenSource();
        int reads = 0;
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                TrackerContent content;
                try
                {
                    content = SeederTracker.Read(Tracker);
                }
                catch (ClydeException)
                {
                    // Windows may refuse a read while the rename replaces the file; a partial file is what must never be seen.
                    continue;
                }

                Assert.False(content.IsCorrupt, content.Corruption);
                Assert.True(content.Exists);
                Assert.Equal(names.Take(content.Names.Count), content.Names);
                Interlocked.Increment(ref reads);
            }
        });
        // At least 200 writes, and more until the reader has read 20 times (on a busy machine it may start late).
        for (int i = 1; i <= 200 || Volatile.Read(ref reads) < 20 && i <= 20_000; i++)
        {
            SeederTracker.Write(Tracker, names.Take(1 + (i * 7 % names.Length)));
        }

        stop.Cancel();
        await reader;
        Assert.True(reads > 0);
    }

    [Fact]
    public async Task TwoWritersUnderTheLockNeverLoseAnUpdate()
    {
        const int perWriter = 40;
        int inside = 0;
        int maxInside = 0;
        async Task Writer(string prefix)
        {
            for (int i = 0; i < perWriter; i++)
            {
                using (await SeederTracker.LockAsync(Tracker, TimeSpan.FromMinutes(1), null, CancellationToken.None))
                {
                    int now = Interlocked.Increment(ref inside);
                    InterlockedMax(ref maxInside, now);
                    var names = SeederTracker.Read(Tracker).Names.ToList();
                    await Task.Yield();
                    names.Add($"{prefix}-{i}");
                    SeederTracker.Write(Tracker, names);
                    Interlocked.Decrement(ref inside);
                }
            }
        }

        await Task.WhenAll(Task.Run(() => Writer("a")), Task.Run(() => Writer("b")));
        var final = SeederTracker.Read(Tracker);
        Assert.False(final.IsCorrupt);
        Assert.Equal(2 * perWriter, final.Names.Count);
        Assert.Equal(1, maxInside);
        Assert.True(File.Exists(SeederTracker.LockPathOf(Tracker)));
    }

    [Fact]
    public async Task ASecondLockWaitsThenTimesOutWithTrackerLocked()
    {
        using (await SeederTracker.LockAsync(Tracker, TimeSpan.FromSeconds(5), null, CancellationToken.None))
        {
            var ex = await Assert.ThrowsAsync<ClydeException>(() =>
                SeederTracker.LockAsync(Tracker, TimeSpan.FromMilliseconds(200), null, CancellationToken.None));
            Assert.Equal(SeederErrorIds.TrackerLocked, ex.ErrorId);
            Assert.Equal(ClydeErrorKind.Timeout, ex.Kind);
            Assert.Contains(SeederTracker.LockPathOf(Tracker), ex.Message);
        }

        // Released: the next one gets it at once.
        using var again = await SeederTracker.LockAsync(Tracker, TimeSpan.FromSeconds(5), null, CancellationToken.None);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task AWaitingLockGetsItWhenTheHolderReleases()
    {
        var first = await SeederTracker.LockAsync(Tracker, TimeSpan.FromSeconds(5), null, CancellationToken.None);
        var second = SeederTracker.LockAsync(Tracker, TimeSpan.FromMinutes(1), null, CancellationToken.None);
        await Task.Delay(100);
        Assert.False(second.IsCompleted);
        first.Dispose();
        using var got = await second;
        Assert.NotNull(got);
    }

    [Fact]
    public async Task CancellingAWaitingLockStopsIt()
    {
        using var first = await SeederTracker.LockAsync(Tracker, TimeSpan.FromSeconds(5), null, CancellationToken.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SeederTracker.LockAsync(Tracker, TimeSpan.FromMinutes(1), null, cts.Token));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
