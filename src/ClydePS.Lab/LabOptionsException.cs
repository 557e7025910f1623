namespace ClydePS.Lab;

/// <summary>A bad option or cluster file (the CLI prints the message and exits with code 2).</summary>
public sealed class LabOptionsException(string message) : Exception(message);
