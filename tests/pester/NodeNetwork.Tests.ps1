BeforeAll {
    . $PSScriptRoot/Common.ps1
}

Describe 'Get-ClydeNodeNetwork on Lab clusters of each shape' {
    It 'classifies an all-public cluster' {
        $lab = Start-ClydeLab -NodeCount 4 -PublicRatio 1 -Seed 1
        try {
            $nodes = Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath
            $nodes | Should -HaveCount 4
            $nodes | ForEach-Object { $_ | Should -BeOfType ([ClydePS.ClydeNode]) }
            $nodes.NetworkClass | Sort-Object -Unique | Should -Be 'Public'
            $nodes | ForEach-Object { $_.ExternalIPs.Count | Should -BeGreaterThan 0 }
            $summary = Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath -Summary
            $summary | Should -BeOfType ([ClydePS.ClydeClusterNetwork])
            $summary.Class | Should -Be ([ClydePS.ClusterNetworkClass]::Public)
            $summary.NodeCount | Should -Be 4
            $summary.PublicCount | Should -Be 4
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'classifies an all-private cluster' {
        $lab = Start-ClydeLab -NodeCount 3 -PublicRatio 0
        try {
            (Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath).NetworkClass | Sort-Object -Unique | Should -Be 'Private'
            (Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath -Summary).Class | Should -Be 'Private'
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'classifies a mixed cluster and filters by name and label' {
        $lab = Start-ClydeLab -NodeCount 6 -PublicRatio 0.5 -Seed 3
        try {
            $k = $lab.KubeconfigPath
            $nodes = Get-ClydeNodeNetwork -Kubeconfig $k
            $summary = Get-ClydeNodeNetwork -Kubeconfig $k -Summary
            $summary.Class | Should -Be 'Mixed'
            $summary.PublicCount | Should -Be @($nodes | Where-Object NetworkClass -eq Public).Count
            $summary.PublicCount + $summary.PrivateCount | Should -Be 6
            $summary.PublicCount | Should -Be 3

            $first = $nodes[0].Name
            (Get-ClydeNodeNetwork $first -Kubeconfig $k).Name | Should -Be $first
            $prefix = $first.Substring(0, $first.Length - 1)
            @(Get-ClydeNodeNetwork "$prefix*" -Kubeconfig $k).Count | Should -BeGreaterThan 0
            # Names bind from the pipeline by property name.
            @($nodes | Select-Object -First 2 | Get-ClydeNodeNetwork -Kubeconfig $k).Name | Should -Be @($nodes[0].Name, $nodes[1].Name)

            $hostLabel = "kubernetes.io/hostname=$first"
            (Get-ClydeNodeNetwork -Kubeconfig $k -LabelSelector $hostLabel).Name | Should -Be $first
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'reports an empty cluster as Empty' {
        $lab = Start-ClydeLab -NodeCount 0
        try {
            Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath | Should -BeNullOrEmpty
            $s = Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath -Summary
            $s.Class | Should -Be 'Empty'
            $s.NodeCount | Should -Be 0
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'writes a non-terminating ClydeNodeNotFound for a missing literal name and still returns the others' {
        $lab = Start-ClydeLab -NodeCount 2
        try {
            $names = (Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath).Name
            $found = Get-ClydeNodeNetwork $names[0], 'no-such-node' -Kubeconfig $lab.KubeconfigPath -ErrorVariable errs -ErrorAction SilentlyContinue
            $found.Name | Should -Be $names[0]
            $errs | Should -HaveCount 1
            Get-ErrorId $errs[0] | Should -Be 'ClydeNodeNotFound'
            $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $errs[0].TargetObject | Should -Be 'no-such-node'
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'shows a table whose columns are real properties' {
        $lab = Start-ClydeLab -NodeCount 2
        try {
            $nodes = Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath
            $text = $nodes | Format-Table | Out-String -Width 300
            $header = ($text -split "`n" | Where-Object { $_ -match '\S' } | Select-Object -First 1).Trim()
            $columns = $header -split '\s+'
            $columns | Should -Contain 'NetworkClass'
            $properties = $nodes[0].PSObject.Properties.Name
            foreach ($c in $columns) { $properties | Should -Contain $c }
        }
        finally { $lab | Stop-ClydeLab }
    }
}
