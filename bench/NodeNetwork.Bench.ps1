<#
.SYNOPSIS
    Measures Get-ClydeNodeNetwork against a 5,000-node Lab (run by ./build.ps1 Bench).
.DESCRIPTION
    Wall-clock numbers on a shared machine: reported as the median of several runs, never asserted in tests.
    Writes bench/results/NodeNetwork.md.
#>
param([Parameter(Mandatory)] [string] $ModuleManifest, [int] $NodeCount = 5000, [int] $Runs = 7)

$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest -Force
$start = [Diagnostics.Stopwatch]::StartNew()
$lab = Start-ClydeLab -NodeCount $NodeCount -PublicRatio 0.3 -Seed 1 -Timeout 120
$startup = $start.Elapsed.TotalSeconds
try {
    $null = Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath   # warm-up (JIT, connection)
    $list = foreach ($i in 1..$Runs) { (Measure-Command { $null = Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath }).TotalMilliseconds }
    $summary = foreach ($i in 1..$Runs) { (Measure-Command { $null = Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath -Summary }).TotalMilliseconds }
}
finally { $lab | Stop-ClydeLab }

function Median([double[]] $v) { $s = $v | Sort-Object; $s[[int][math]::Floor($s.Count / 2)] }
$rows = @(
    [pscustomobject]@{ Measure = "Start-ClydeLab -NodeCount $NodeCount (until it answers)"; Median = '{0:0.00} s' -f $startup; Runs = 1 }
    [pscustomobject]@{ Measure = "Get-ClydeNodeNetwork, $NodeCount nodes"; Median = '{0:0} ms' -f (Median $list); Runs = $Runs }
    [pscustomobject]@{ Measure = "Get-ClydeNodeNetwork -Summary, $NodeCount nodes"; Median = '{0:0} ms' -f (Median $summary); Runs = $Runs }
)
$rows | Format-Table -AutoSize | Out-String | Write-Host
$results = Join-Path $PSScriptRoot 'results'
$null = New-Item -ItemType Directory -Force $results
$md = @("# Get-ClydeNodeNetwork at scale", '', "Command: ``dotnet pwsh ./build.ps1 Bench`` on $([Environment]::ProcessorCount) cores, $(Get-Date -Format 'yyyy-MM-dd').", '',
    '| measure | median | runs |', '|---|---|---|') + ($rows | ForEach-Object { "| $($_.Measure) | $($_.Median) | $($_.Runs) |" })
$md | Set-Content (Join-Path $results 'NodeNetwork.md')
