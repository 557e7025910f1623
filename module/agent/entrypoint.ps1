#Requires -Version 7.4
<#
.SYNOPSIS
    The ClydePS snapshot agent: runs Invoke-ClydeSnapshot in local mode on the node its pod runs on.
.DESCRIPTION
    The container command of the Job that Invoke-ClydeSnapshot -DeployAgent creates. It imports the module this script
    ships in, reads the node's filesystem mounted read-only at -HostRoot, and writes the snapshot into the ConfigMap that
    -Output names (cm://namespace/name), with the pod's in-cluster service-account credentials (or $env:KUBECONFIG when set).
    The exit code is 0 when the snapshot was written, 1 otherwise; the reason goes to the container log.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Output,
    [string] $HostRoot = '/host',
    [ValidateSet('Yaml', 'Json')] [string] $Format = 'Json'
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
try {
    Import-Module (Join-Path $PSScriptRoot '..' 'ClydePS.psd1')
    $version = (Get-Module ClydePS).Version
    $node = if ($env:NODE_NAME) { $env:NODE_NAME } else { '(unknown node)' }
    Write-Host "ClydePS snapshot agent $version on ${node}: reading $HostRoot, writing $Output"
    Invoke-ClydeSnapshot -HostRoot $HostRoot -Output $Output -Format $Format -Verbose 4>&1 | ForEach-Object { Write-Host $_ }
    Write-Host 'Snapshot written.'
    exit 0
}
catch {
    $id = ($_.FullyQualifiedErrorId -split ',')[0]
    [Console]::Error.WriteLine("Snapshot agent failed ($id): $($_.Exception.Message)")
    exit 1
}
