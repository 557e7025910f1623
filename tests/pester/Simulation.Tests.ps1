BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:clydeRegistry = 32 * 18.6 * 1024 / 6600
}

Describe 'Invoke-ClydeSeedSimulation from parameters' {
    It 'writes one forecast per strategy for the Clyde experiment' {
        $f = @(Invoke-ClydeSeedSimulation -NodeCount 32 -ImageSizeGB 18.6 -RegistryBandwidthMBps $clydeRegistry -NatBandwidthMBps 10000 -P2P)
        $f | Should -HaveCount 4
        $f | ForEach-Object { $_ | Should -BeOfType ([ClydePS.ClydeSeedForecast]) }
        $f.Strategy | Should -Be @('Direct', 'Doubling', 'Adaptive', 'Pipelined')
        $f[3].RolloutTime.TotalSeconds | Should -BeLessOrEqual (0.65 * $f[1].RolloutTime.TotalSeconds)
        $direct, $doubling = $f[0], $f[1]
        $direct.RolloutTime.TotalMinutes | Should -BeGreaterThan 99
        $direct.RolloutTime.TotalMinutes | Should -BeLessThan 121
        $doubling.RolloutTime | Should -BeLessThan $direct.RolloutTime
        $doubling.WaveCount | Should -Be 3
        $doubling.NodeCount | Should -Be 32
        $doubling.ClusterClass | Should -Be 'Private'
        $doubling.LayerSizesBytes | Should -HaveCount 5
        $f | ForEach-Object { $_.RolloutTime | Should -BeGreaterThan $_.PieceLowerBound }
        $f[0].PieceLowerBound | Should -Be $f[2].PieceLowerBound
        $f[0].LayerLowerBound | Should -BeGreaterThan $f[0].PieceLowerBound
        ($f | Format-Table | Out-String) | Should -Match 'Doubling'
    }

    It 'Pipelined: layer events let followers start before the first copy is complete; -NoLayerProgress forecasts whole pulls only' {
        $common = @{ NodeCount = 32; LayerSizesMB = @(1..40 | ForEach-Object { 18.6 * 1024 / 40 }); RegistryBandwidthMBps = $clydeRegistry; NatBandwidthMBps = 10000; P2P = $true; Strategy = 'Pipelined' }
        $layers = Invoke-ClydeSeedSimulation @common
        $whole = Invoke-ClydeSeedSimulation @common -NoLayerProgress
        $layers.Strategy | Should -Be 'Pipelined'
        $layers.RolloutTime | Should -BeLessThan $whole.RolloutTime
        $first = ($layers.Timeline | Where-Object Source -eq 'Registry').End
        @($layers.Timeline | Where-Object { $_.Source -eq 'Peers' -and $_.Start -lt $first }).Count | Should -BeGreaterThan 0
        @($whole.Timeline | Where-Object { $_.Source -eq 'Peers' -and $_.Start -lt ($whole.Timeline | Where-Object Source -eq 'Registry').End }).Count | Should -Be 0
        $layers.RegistryBytes | Should -BeLessThan (1.01 * $layers.ImageSizeBytes)
    }

    It 'simulates only the strategies asked for, from layer sizes, and is deterministic' {
        $layers = @(1..8 | ForEach-Object { 512 })
        $a = Invoke-ClydeSeedSimulation -NodeCount 20 -PublicRatio 0.25 -LayerSizesMB $layers -RegistryBandwidthMBps 200 -P2P -Strategy Adaptive -Seed 5
        $b = Invoke-ClydeSeedSimulation -NodeCount 20 -PublicRatio 0.25 -LayerSizesMB $layers -RegistryBandwidthMBps 200 -P2P -Strategy Adaptive -Seed 5
        @($a).Count | Should -Be 1
        $a.Strategy | Should -Be 'Adaptive'
        $a.PublicNodeCount | Should -Be 5
        $a.ClusterClass | Should -Be 'Mixed'
        $a.ImageSizeBytes | Should -Be (8 * 512MB)
        $a.RolloutTime | Should -Be $b.RolloutTime
        ($a.Timeline | ForEach-Object { "$($_.Node) $($_.Source) $($_.End)" }) -join ';' |
            Should -Be (($b.Timeline | ForEach-Object { "$($_.Node) $($_.Source) $($_.End)" }) -join ';')
    }

    It 'takes the layer sizes of a ClydeImage and the bandwidth of a probe result' {
        $image = [ClydePS.ClydeImage]@{ Image = 'example.com/app:v1'; Layers = @(
                [ClydePS.ClydeImageLayer]@{ Digest = 'sha256:a'; SizeBytes = 300MB },
                [ClydePS.ClydeImageLayer]@{ Digest = 'sha256:b'; SizeBytes = 700MB }) }
        $probe = [ClydePS.ClydeProbeResult]@{ Image = 'example.com/app:v1'; Mode = 'InCluster'; Probers = @('node-1', 'node-2'); BandwidthMBps = 40; Samples = 10 }
        $f = Invoke-ClydeSeedSimulation -NodeCount 4 -Image $image -ProbeResult $probe -Strategy Direct
        $f.LayerSizesBytes | Should -Be @(300MB, 700MB)
        $f.RegistryBandwidthMBps | Should -Be 80
        # four nodes pull 1000 MB each through 80 MB/s: 50 s plus the DaemonSet's overheads
        $f.RolloutTime.TotalSeconds | Should -BeGreaterThan 50
        $f.RolloutTime.TotalSeconds | Should -BeLessThan 60
    }

    It 'charges the overheads it is given' {
        $fast = Invoke-ClydeSeedSimulation -NodeCount 2 -ImageSizeGB 1 -RegistryBandwidthMBps 100 -Strategy Direct -DaemonSetPodStart 0 -ContainerStart 0
        $slow = Invoke-ClydeSeedSimulation -NodeCount 2 -ImageSizeGB 1 -RegistryBandwidthMBps 100 -Strategy Direct -DaemonSetPodStart 30s -ContainerStart 10
        ($slow.RolloutTime - $fast.RolloutTime).TotalSeconds | Should -BeGreaterThan 39.9
        ($slow.RolloutTime - $fast.RolloutTime).TotalSeconds | Should -BeLessThan 40.1
        $slow.Overheads['DaemonSetPodStart'] | Should -Be 30
    }
}

Describe 'Invoke-ClydeSeedSimulation from a Lab' {
    BeforeAll {
        $script:lab = Start-ClydeLab -NodeCount 6 -PublicRatio 0.5 -Seed 4
    }
    AfterAll {
        if ($lab) { $lab | Stop-ClydeLab }
    }

    It 'simulates the eligible nodes piped from Get-ClydeNodeNetwork with their network classes' {
        $nodes = @(Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath)
        $eligible = @($nodes | Where-Object Eligible)
        $f = @($nodes | Invoke-ClydeSeedSimulation -ImageSizeGB 2 -RegistryBandwidthMBps 300 -P2P -Strategy Doubling, Direct)
        $f.Strategy | Should -Be @('Direct', 'Doubling')
        $f[1].NodeCount | Should -Be $eligible.Count
        $f[1].PublicNodeCount | Should -Be @($eligible | Where-Object NetworkClass -eq 'Public').Count
        @($f[1].Timeline.Node | Sort-Object -Unique) | Should -Be @($eligible.Name | Sort-Object)
    }
}

Describe 'Invoke-ClydeSeedSimulation bad input' {
    It 'names what is wrong with <Case>' -ForEach @(
        @{ Case = 'no image'; ErrorId = 'ClydeSimulationImageMissing'; Run = { Invoke-ClydeSeedSimulation -NodeCount 3 -RegistryBandwidthMBps 10 } }
        @{ Case = 'two images'; ErrorId = 'ClydeSimulationConflictingImage'; Run = { Invoke-ClydeSeedSimulation -NodeCount 3 -ImageSizeGB 1 -LayerSizesMB 10 -RegistryBandwidthMBps 10 } }
        @{ Case = 'no bandwidth'; ErrorId = 'ClydeSimulationBandwidthMissing'; Run = { Invoke-ClydeSeedSimulation -NodeCount 3 -ImageSizeGB 1 } }
        @{ Case = 'two bandwidths'; ErrorId = 'ClydeSimulationConflictingBandwidth'; Run = { Invoke-ClydeSeedSimulation -NodeCount 3 -ImageSizeGB 1 -RegistryBandwidthMBps 10 -ProbeResult ([ClydePS.ClydeProbeResult]@{ BandwidthMBps = 5 }) } }
        @{ Case = 'a string as image'; ErrorId = 'ClydeSimulationInvalidInput'; Run = { Invoke-ClydeSeedSimulation -NodeCount 3 -Image 'nginx:1.27' -RegistryBandwidthMBps 10 } }
        @{ Case = 'a negative layer'; ErrorId = 'ClydeSimulationInvalidInput'; Run = { Invoke-ClydeSeedSimulation -NodeCount 3 -LayerSizesMB 10, -1 -RegistryBandwidthMBps 10 } }
        @{ Case = 'stop ratio 1.5'; ErrorId = 'ClydeSimulationInvalidInput'; Run = { Invoke-ClydeSeedSimulation -NodeCount 3 -ImageSizeGB 1 -RegistryBandwidthMBps 10 -StopRatio 1.5 } }
        @{ Case = 'stop ratio 0'; ErrorId = 'ClydeSimulationInvalidInput'; Run = { Invoke-ClydeSeedSimulation -NodeCount 3 -ImageSizeGB 1 -RegistryBandwidthMBps 10 -StopRatio 0 } }
        @{ Case = 'a probe without samples'; ErrorId = 'ClydeSimulationInvalidInput'; Run = { Invoke-ClydeSeedSimulation -NodeCount 3 -ImageSizeGB 1 -ProbeResult ([ClydePS.ClydeProbeResult]@{ Image = 'x' }) } }
        @{ Case = 'piped strings'; ErrorId = 'ClydeSimulationInvalidInput'; Run = { 'node-1' | Invoke-ClydeSeedSimulation -ImageSizeGB 1 -RegistryBandwidthMBps 10 } }
        @{ Case = 'no eligible node'; ErrorId = 'ClydeSimulationNoNodes'; Run = { [ClydePS.ClydeNode]@{ Name = 'n1'; Ready = $false } | Invoke-ClydeSeedSimulation -ImageSizeGB 1 -RegistryBandwidthMBps 10 } }
    ) {
        $Run | Should -Throw -ErrorId "$ErrorId*"
    }

    It 'rejects an unknown strategy and a negative node count at binding' {
        { Invoke-ClydeSeedSimulation -NodeCount 3 -ImageSizeGB 1 -RegistryBandwidthMBps 10 -Strategy Fastest } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { Invoke-ClydeSeedSimulation -NodeCount -1 -ImageSizeGB 1 -RegistryBandwidthMBps 10 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }
}
