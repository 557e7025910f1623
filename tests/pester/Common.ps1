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
