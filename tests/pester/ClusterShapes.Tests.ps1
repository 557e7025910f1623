BeforeAll {
    . $PSScriptRoot/Common.ps1
}

Describe 'Get-ClydeNodeNetwork on cluster-file shapes' {
    It 'classifies IPv6 nodes' {
        $file = New-TestClusterFile @{ seed = 5; nodeGroups = @(
                @{ name = 'v6pub'; count = 3; public = $true; ipv6 = $true; namePattern = 'v6pub-{0}' }
                @{ name = 'v6priv'; count = 2; public = $false; ipv6 = $true; namePattern = 'v6priv-{0}' }) }
        $lab = Start-ClydeLab -ClusterFile $file
        try {
            $nodes = Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath
            $nodes | Should -HaveCount 5
            ($nodes | Where-Object Name -like 'v6pub-*').NetworkClass | Sort-Object -Unique | Should -Be 'Public'
            ($nodes | Where-Object Name -like 'v6priv-*').NetworkClass | Sort-Object -Unique | Should -Be 'Private'
            ($nodes | Where-Object Name -like 'v6pub-*').ExternalIPs | ForEach-Object { $_ | Should -Match ':' }
            (Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath -Summary).Class | Should -Be 'Mixed'
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'leaves NotReady, cordoned and control-plane nodes out of the cluster class' {
        $file = New-TestClusterFile @{ nodes = @(
                @{ name = 'pub-1'; externalIPs = @('34.10.0.1'); internalIPs = @('10.0.0.1') }
                @{ name = 'pub-2'; externalIPs = @('34.10.0.2'); internalIPs = @('10.0.0.2') }
                @{ name = 'priv-down'; internalIPs = @('10.0.0.3'); ready = $false }
                @{ name = 'priv-cordoned'; internalIPs = @('10.0.0.4'); unschedulable = $true }
                @{ name = 'priv-cp'; internalIPs = @('10.0.0.5'); controlPlane = $true }) }
        $lab = Start-ClydeLab -ClusterFile $file
        try {
            $nodes = Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath
            ($nodes | Where-Object Name -eq 'priv-down').Ready | Should -BeFalse
            ($nodes | Where-Object Name -eq 'priv-cordoned').Schedulable | Should -BeFalse
            ($nodes | Where-Object Name -eq 'priv-cordoned').Taints | Should -Contain 'node.kubernetes.io/unschedulable:NoSchedule'
            ($nodes | Where-Object Name -eq 'priv-cp').ControlPlane | Should -BeTrue
            @($nodes | Where-Object Eligible).Name | Should -Be @('pub-1', 'pub-2')

            $s = Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath -Summary
            $s.Class | Should -Be 'Public'
            $s.NodeCount | Should -Be 5
            $s.EligibleCount | Should -Be 2
            $s.PublicCount | Should -Be 2
            $s.PrivateCount | Should -Be 3
            $s.NotReadyCount | Should -Be 1
            $s.ReadyCount | Should -Be 4
            $s.SchedulableCount | Should -Be 4
            $s.ControlPlaneCount | Should -Be 1
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'classifies 5,000 nodes with edge addresses exactly' {
        # Each address with the class the definition gives it (written out here, independent of the engine).
        $edges = @(
            @('100.64.0.0', $false), @('100.127.255.255', $false), @('100.63.255.255', $true), @('100.128.0.0', $true)
            @('172.15.255.254', $true), @('172.16.0.1', $false), @('172.31.255.254', $false), @('172.32.0.1', $true)
            @('10.0.0.1', $false), @('192.168.7.7', $false), @('169.254.10.10', $false), @('127.0.0.1', $false)
            @('fc00::1', $false), @('fdff:ffff::1', $false), @('fe80::1', $false), @('febf:ffff::1', $false)
            @('::ffff:10.20.30.40', $false), @('::ffff:100.100.0.1', $false), @('::ffff:34.1.2.3', $true)
            @('2600:1f18:4c::10', $true), @('2a00:1450:4001::1', $true), @('34.118.0.9', $true), @('52.95.110.1', $true)
        )
        $nodes = [System.Collections.Generic.List[object]]::new()
        $expectedPublic = 0; $expectedReady = 0; $expectedEligiblePublic = 0; $expectedEligible = 0
        for ($i = 0; $i -lt 5000; $i++) {
            $first = $edges[$i % $edges.Count]
            $external = @($first[0])
            $public = $first[1]
            if ($i % 7 -eq 0) {
                # A second ExternalIP: any public one makes the node public.
                $second = $edges[($i * 3 + 1) % $edges.Count]
                $external += $second[0]
                $public = $public -or $second[1]
            }
            if ($i % 11 -eq 0) { $external = @(); $public = $false }
            $ready = ($i % 13) -ne 0
            if ($public) { $expectedPublic++ }
            if ($ready) { $expectedReady++; $expectedEligible++; if ($public) { $expectedEligiblePublic++ } }
            $nodes.Add(@{ name = 'edge-{0:0000}' -f $i; externalIPs = $external; internalIPs = @('10.{0}.{1}.{2}' -f ($i -shr 16), (($i -shr 8) -band 255), ($i -band 255)); ready = $ready })
        }
        $file = New-TestClusterFile @{ nodes = $nodes } -Name 'edge.json'
        $lab = Start-ClydeLab -ClusterFile $file -Timeout 120
        try {
            $all = Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath
            $all | Should -HaveCount 5000
            @($all | Where-Object NetworkClass -eq Public).Count | Should -Be $expectedPublic
            $s = Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath -Summary
            $s.NodeCount | Should -Be 5000
            $s.PublicCount | Should -Be $expectedPublic
            $s.PrivateCount | Should -Be (5000 - $expectedPublic)
            $s.ReadyCount | Should -Be $expectedReady
            $s.EligibleCount | Should -Be $expectedEligible
            $s.EligiblePublicCount | Should -Be $expectedEligiblePublic
            $s.Class | Should -Be 'Mixed'
            # Spot checks by name: one node of each edge address.
            for ($j = 1; $j -lt $edges.Count; $j++) {
                if ($j % 7 -eq 0 -or $j % 11 -eq 0) { continue }
                $n = $all | Where-Object Name -eq ('edge-{0:0000}' -f $j)
                $n.NetworkClass | Should -Be $(if ($edges[$j][1]) { 'Public' } else { 'Private' }) -Because $edges[$j][0]
            }
        }
        finally { $lab | Stop-ClydeLab }
    }
}
