<#
.SYNOPSIS
    Module import time and first-cmdlet time as a ratio to a bare pwsh start (run by ./build.ps1 Bench).
.DESCRIPTION
    Starts fresh pwsh processes, interleaved in the same run so they see the same machine load: a bare start
    (pwsh -NoProfile -Command exit), a start that imports ClydePS, and a start that imports it and runs a first cmdlet
    (Invoke-ClydeSeedSimulation on 4 nodes: it needs no cluster and loads the engine). Each is timed from outside
    (process start to exit); the import and the first cmdlet are also timed inside the process with a stopwatch.
    Wall-clock numbers on a shared machine (median of -Runs runs), never asserted in tests.
    Writes bench/results/Startup.md.
#>
param([Parameter(Mandatory)] [string] $ModuleManifest, [int] $Runs = 7)

$ErrorActionPreference = 'Stop'
$exe = if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' }
$pwsh = Join-Path $PSHOME $exe
if (-not (Test-Path $pwsh)) { $pwsh = (Get-Process -Id $PID).Path }
$manifest = (Resolve-Path $ModuleManifest).Path

$bare = 'exit 0'
$import = "`$sw = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$manifest'; 'IMPORT ' + `$sw.Elapsed.TotalMilliseconds"
$first = "`$sw = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$manifest'; `$i = `$sw.Elapsed.TotalMilliseconds; `$null = Invoke-ClydeSeedSimulation -NodeCount 4 -ImageSizeGB 1 -RegistryBandwidthMBps 100 -Strategy Direct; 'IMPORT ' + `$i; 'FIRST ' + (`$sw.Elapsed.TotalMilliseconds - `$i)"

function Invoke-Pwsh([string] $command) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $out = & $pwsh -NoProfile -NonInteractive -Command $command
    if ($LASTEXITCODE -ne 0) { throw "pwsh failed (exit $LASTEXITCODE): $command" }
    [pscustomobject]@{ Ms = $sw.Elapsed.TotalMilliseconds; Out = @($out) }
}
function Inner($r, [string] $key) { [double](($r.Out | Where-Object { $_ -like "$key *" } | Select-Object -First 1) -replace "^$key ", '') }
function Median([double[]] $v) { $s = $v | Sort-Object; $s[[int][math]::Floor($s.Count / 2)] }

$null = Invoke-Pwsh $first   # warm-up: disk cache, first JIT of the module's assemblies
$b = [Collections.Generic.List[double]]::new(); $i = [Collections.Generic.List[double]]::new(); $f = [Collections.Generic.List[double]]::new()
$innerImport = [Collections.Generic.List[double]]::new(); $innerFirst = [Collections.Generic.List[double]]::new()
foreach ($n in 1..$Runs) {
    $b.Add((Invoke-Pwsh $bare).Ms)
    $r = Invoke-Pwsh $import; $i.Add($r.Ms)
    $r = Invoke-Pwsh $first; $f.Add($r.Ms); $innerImport.Add((Inner $r 'IMPORT')); $innerFirst.Add((Inner $r 'FIRST'))
}
$mb = Median $b; $mi = Median $i; $mf = Median $f
$rows = @(
    [pscustomobject]@{ Measure = 'bare pwsh start (-NoProfile -Command exit)'; Ms = $mb; Ratio = 1 }
    [pscustomobject]@{ Measure = 'pwsh start + Import-Module ClydePS'; Ms = $mi; Ratio = $mi / $mb }
    [pscustomobject]@{ Measure = 'pwsh start + Import-Module + first cmdlet (Invoke-ClydeSeedSimulation, 4 nodes)'; Ms = $mf; Ratio = $mf / $mb }
    [pscustomobject]@{ Measure = 'Import-Module ClydePS alone (stopwatch inside the process)'; Ms = (Median $innerImport); Ratio = (Median $innerImport) / $mb }
    [pscustomobject]@{ Measure = 'first cmdlet alone, after the import (stopwatch inside the process)'; Ms = (Median $innerFirst); Ratio = (Median $innerFirst) / $mb }
)
$rows | Format-Table Measure, @{ n = 'ms'; e = { '{0:0}' -f $_.Ms } }, @{ n = 'x bare start'; e = { '{0:0.00}' -f $_.Ratio } } -AutoSize | Out-String -Width 200 | Write-Host

$results = Join-Path $PSScriptRoot 'results'
$null = New-Item -ItemType Directory -Force $results
$md = @('# Module import and first-cmdlet time', '',
    "Command: ``./bench/Startup.Bench.ps1 -ModuleManifest out/ClydePS/$((Import-PowerShellDataFile $manifest).ModuleVersion)/ClydePS.psd1`` (part of ``dotnet pwsh ./build.ps1 Bench``) on $([Environment]::ProcessorCount) cores, $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC, PowerShell $($PSVersionTable.PSVersion). Median of $Runs runs each, interleaved in the same run (after one warm-up); ratios are to the bare pwsh start of this run.", '',
    '| measure | median ms | x bare pwsh start |', '|---|---|---|') +
    ($rows | ForEach-Object { "| $($_.Measure) | $('{0:0}' -f $_.Ms) | $('{0:0.00}' -f $_.Ratio) |" })
$md | Set-Content (Join-Path $results 'Startup.md')
