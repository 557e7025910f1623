namespace ClydePS.Lab.Tests;

static class Wait
{
    /// <summary>Polls until the condition holds (or fails the test after the timeout).</summary>
    public static async Task Until(Func<Task<bool>> condition, string what, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (await condition()) return;
            if (DateTime.UtcNow > deadline) Assert.Fail("timed out waiting for " + what);
            await Task.Delay(25);
        }
    }
}
