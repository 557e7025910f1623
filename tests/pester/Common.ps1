# Shared by the Pester suites: imports the assembled module the runner names and helps start Labs.
$ErrorActionPreference = 'Stop'
if (-not $env:CLYDEPS_MODULE) {
    throw 'CLYDEPS_MODULE is not set: run the suites with ./build.ps1 Test (it assembles the module and sets it).'
}
Import-Module $env:CLYDEPS_MODULE -Force

function New-TestClusterFile {
    param([Parameter(Mandatory)] [hashtable] $Spec, [string] $Name = 'cluster.json')
    $path = Join-Path $TestDrive $Name
    $Spec | ConvertTo-Json -Depth 20 | Set-Content -Path $path
    return $path
}

# Waits until the Lab's spegel mirror pods are Ready on every node but -NotReady (as on a running cluster); throws after a minute.
function Wait-LabMirrorReady($Lab, [int] $NotReady = 0) {
    $headers = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $Lab.StateDirectory 'token')).Trim())" }
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    do {
        $ds = Invoke-RestMethod -Uri "$($Lab.Url)/apis/apps/v1/namespaces/kube-system/daemonsets/spegel" -Headers $headers
        $ready = $ds.status.desiredNumberScheduled -gt 0 -and $ds.status.numberReady -ge $ds.status.desiredNumberScheduled - $NotReady
    } until ($ready -or [DateTime]::UtcNow -gt $deadline -or (Start-Sleep -Milliseconds 200))
    if (-not $ready) { throw "The Lab's spegel DaemonSet did not become ready: $($ds.status | ConvertTo-Json -Compress)" }
}

function Get-ErrorId([System.Management.Automation.ErrorRecord] $Record) {
    return ($Record.FullyQualifiedErrorId -split ',')[0]
}

# A command line that starts this same pwsh again (under 'dotnet pwsh' the process is dotnet itself).
function Get-PwshPath {
    $exe = if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' }
    $candidate = Join-Path $PSHOME $exe
    if (Test-Path $candidate) { return $candidate }
    return (Get-Process -Id $PID).Path
}

# Runs one command in two pwsh processes that start it at the same moment (each imports the module, says it is ready,
# then waits for a shared "go"), and returns what each wrote to $Out, trimmed. $Command sees $Kube and $Tracker, and
# writes its result to $Out. Both processes must exit 0.
function Invoke-TwoProcessesAtOnce([string] $Dir, [string] $Kube, [string] $Tracker, [string] $Command) {
    $go = Join-Path $Dir 'go'
    $script = @"
param(`$Module, `$Kube, `$Tracker, `$Ready, `$Go, `$Out)
`$ErrorActionPreference = 'Stop'
Import-Module `$Module
`$null = New-Item -ItemType File -Path `$Ready
`$deadline = [DateTime]::UtcNow.AddSeconds(60)
while (-not (Test-Path `$Go) -and [DateTime]::UtcNow -lt `$deadline) { Start-Sleep -Milliseconds 10 }
$Command
"@
    $scriptPath = Join-Path $Dir 'child.ps1'
    Set-Content -Path $scriptPath -Value $script
    $pwsh = Get-PwshPath
    $procs = foreach ($i in 1, 2) {
        Start-Process -FilePath $pwsh -PassThru -NoNewWindow -RedirectStandardError (Join-Path $Dir "err-$i.txt") -ArgumentList @(
            '-NoProfile', '-NonInteractive', '-File', $scriptPath, '-Module', $env:CLYDEPS_MODULE, '-Kube', $Kube,
            '-Tracker', $Tracker, '-Ready', (Join-Path $Dir "ready-$i"), '-Go', $go, '-Out', (Join-Path $Dir "out-$i.txt"))
    }
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while (-not ((Test-Path (Join-Path $Dir 'ready-1')) -and (Test-Path (Join-Path $Dir 'ready-2'))) -and [DateTime]::UtcNow -lt $deadline) {
        Start-Sleep -Milliseconds 20
    }
    $null = New-Item -ItemType File -Path $go
    $procs | ForEach-Object { $_.WaitForExit(120000) | Should -BeTrue }
    $procs | ForEach-Object { $_.ExitCode | Should -Be 0 -Because (Get-Content -Raw (Join-Path $Dir 'err-1.txt'), (Join-Path $Dir 'err-2.txt') -ErrorAction Ignore) }
    1, 2 | ForEach-Object { "$(Get-Content -Raw (Join-Path $Dir "out-$_.txt") -ErrorAction Ignore)".Trim() }
}
