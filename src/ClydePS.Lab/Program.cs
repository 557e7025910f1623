using System.Runtime.InteropServices;
using ClydePS.Lab;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.Out.WriteLine(LabOptions.Usage);
    return 0;
}

LabOptions options;
try
{
    options = LabOptions.Parse(args);
}
catch (LabOptionsException e)
{
    Console.Error.WriteLine($"clyde-lab: {e.Message}");
    Console.Error.WriteLine(LabOptions.Usage);
    return 2;
}

LabHost lab;
try
{
    lab = await LabHost.StartAsync(options);
}
catch (LabOptionsException e)
{
    Console.Error.WriteLine($"clyde-lab: {e.Message}");
    return 2;
}
catch (IOException e)
{
    Console.Error.WriteLine($"clyde-lab: cannot start: {e.Message}");
    return 1;
}

var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });

Console.Out.WriteLine(lab.ReadyLine);
Console.Out.Flush();

await Task.WhenAny(stop.Task, lab.Stopped);
await lab.DisposeAsync();
return 0;
