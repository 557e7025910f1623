<#
.SYNOPSIS
    Times Invoke-ClydeSeedSimulation (run by ./build.ps1 Bench).
.DESCRIPTION
    Wall-clock numbers on a shared machine: the median of several runs, never asserted in tests. Also prints each
    scenario's forecast (virtual time), which is deterministic. Writes bench/results/Simulation.md.
#>
param([Parameter(Mandatory)] [string] $ModuleManifest, [int] $Runs = 3)

$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest -Force
$clydeRegistry = 32 * 18.6 * 1024 / 6600   # Direct = N*S/R = 110 min
$equal40 = @(1..40 | ForEach-Object { 18.6 * 1024 / 40 })
$scenarios = @(
    @{ Name = 'Clyde (a): 32 private nodes, 18.6 GB default layering, P2P'; Args = @{ NodeCount = 32; ImageSizeGB = 18.6; RegistryBandwidthMBps = $clydeRegistry; NodeBandwidthMBps = 250; NatBandwidthMBps = 10000; P2P = $true } }
    @{ Name = 'Clyde (b): 32 private nodes, 18.6 GB in 40 equal layers, P2P'; Args = @{ NodeCount = 32; LayerSizesMB = $equal40; RegistryBandwidthMBps = $clydeRegistry; NodeBandwidthMBps = 250; NatBandwidthMBps = 10000; P2P = $true } }
    @{ Name = '1,000 private nodes, 20 GB, P2P'; Args = @{ NodeCount = 1000; ImageSizeGB = 20; RegistryBandwidthMBps = 500; NodeBandwidthMBps = 250; NatBandwidthMBps = 1000; P2P = $true } }
    @{ Name = '5,000 mixed nodes (30 % public), 20 GB, P2P'; Args = @{ NodeCount = 5000; PublicRatio = 0.3; ImageSizeGB = 20; RegistryBandwidthMBps = 500; NodeBandwidthMBps = 250; NatBandwidthMBps = 1000; P2P = $true } }
    @{ Name = '5,000 private nodes, 20 GB, P2P'; Args = @{ NodeCount = 5000; ImageSizeGB = 20; RegistryBandwidthMBps = 500; NodeBandwidthMBps = 250; NatBandwidthMBps = 1000; P2P = $true } }
)

function Median([double[]] $v) { $s = $v | Sort-Object; $s[[int][math]::Floor($s.Count / 2)] }
function Format-Span($t) { if ($null -eq $t) { 'aborted' } elseif ($t.Days -gt 0) { $t.ToString('d\.hh\:mm\:ss') } else { $t.ToString('hh\:mm\:ss') } }

$null = Invoke-ClydeSeedSimulation -NodeCount 4 -ImageSizeGB 1 -RegistryBandwidthMBps 100 -P2P   # warm-up (JIT)
$rows = foreach ($sc in $scenarios) {
    foreach ($strategy in 'Direct', 'Doubling', 'Adaptive') {
        $a = $sc.Args
        $forecast = $null
        $times = foreach ($i in 1..$Runs) {
            (Measure-Command { $script:forecast = Invoke-ClydeSeedSimulation @a -Strategy $strategy }).TotalMilliseconds
        }
        [pscustomobject]@{
            Scenario   = $sc.Name
            Strategy   = $strategy
            WallMs     = [math]::Round((Median $times))
            Seeding    = Format-Span $forecast.SeedingTime
            Rollout    = Format-Span $forecast.RolloutTime
            RegistryGB = '{0:0.0}' -f $forecast.RegistryGB
            Waves      = $forecast.WaveCount
            PieceBound = Format-Span $forecast.PieceLowerBound
            LayerBound = Format-Span $forecast.LayerLowerBound
            xBound     = '{0:0.00}' -f $forecast.BoundRatio
        }
    }
}
$rows | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
$results = Join-Path $PSScriptRoot 'results'
$null = New-Item -ItemType Directory -Force $results
$md = @('# Invoke-ClydeSeedSimulation', '',
    "Command: ``./bench/Simulation.Bench.ps1`` (part of ``dotnet pwsh ./build.ps1 Bench``) on $([Environment]::ProcessorCount) cores, $(Get-Date -Format 'yyyy-MM-dd'). Wall time: median of $Runs runs of one strategy; the rest is the forecast (virtual time, deterministic).", '',
    '| scenario | strategy | wall ms | seeding | rollout | registry GB | waves | piece bound | layer bound | x bound |', '|---|---|---|---|---|---|---|---|---|---|') +
    ($rows | ForEach-Object { "| $($_.Scenario) | $($_.Strategy) | $($_.WallMs) | $($_.Seeding) | $($_.Rollout) | $($_.RegistryGB) | $($_.Waves) | $($_.PieceBound) | $($_.LayerBound) | $($_.xBound) |" })
$md | Set-Content (Join-Path $results 'Simulation.md')
