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
