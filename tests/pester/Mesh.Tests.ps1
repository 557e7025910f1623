# New-, Get-, Set-, Remove-ClydeMesh on a Lab, with kubectl applying the -AsManifest output.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    # Three workers; an image the registry does not have (a mesh whose first pod never gets ready).
    $spec = @{
        seed       = 7
        images     = @(@{ reference = 'example.com/ghost:1'; missing = $true })
        nodeGroups = @(@{ name = 'workers'; count = 3; namePattern = 'worker-{0}' })
    }
    $script:Lab = Start-ClydeLab -ClusterFile (New-TestClusterFile -Spec $spec) -TimeScale 20
    $script:Kube = $script:Lab.KubeconfigPath
    $script:Headers = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $script:Lab.StateDirectory 'token')).Trim())" }
    $script:KubectlCache = Join-Path $TestDrive 'kubectl-cache'
    $script:Kubectl = (Get-Command kubectl -CommandType Application -ErrorAction Ignore | Select-Object -First 1).Source

    function Get-Lab([string] $Path) {
        Invoke-RestMethod -Uri "$($script:Lab.Url)$Path" -Headers $script:Headers
    }
    function Test-Lab([string] $Path) {
        try { $null = Get-Lab $Path; $true } catch { $false }
    }
    function Get-MeshObjects([string] $Name, [string] $Namespace = $Name) {
        [ordered]@{
            configmap   = Get-Lab "/api/v1/namespaces/$Namespace/configmaps/$Name-config"
            headless    = Get-Lab "/api/v1/namespaces/$Namespace/services/$Name-headless"
            external    = Get-Lab "/api/v1/namespaces/$Namespace/services/$Name-external"
            statefulset = Get-Lab "/apis/apps/v1/namespaces/$Namespace/statefulsets/$Name"
        }
    }
    # The live pods of a mesh, by ordinal.
    function Get-MeshPods([string] $Name, [string] $Namespace = $Name) {
        (Get-Lab "/api/v1/namespaces/$Namespace/pods?labelSelector=clydeps.io%2Fmesh%3D$Name").items |
            Where-Object { -not $_.metadata.deletionTimestamp } |
            Sort-Object { [int]($_.metadata.name -replace '^.*-', '') }
    }
    function Get-Created($Pod) { [datetime]::Parse($Pod.metadata.creationTimestamp, [cultureinfo]::InvariantCulture, 'RoundtripKind') }
    function Invoke-Kubectl {
        if (-not $script:Kubectl) { throw 'kubectl is missing: the mesh tests apply -AsManifest output with it.' }
        $out = & $script:Kubectl --kubeconfig $script:Kube --cache-dir $script:KubectlCache @args 2>&1
        [pscustomobject]@{ Code = $LASTEXITCODE; Output = ($out | Out-String) }
    }
    function Get-WriteCount {
        $stats = Get-Lab '/clydelab/v1/stats'
        [int](($stats.requests | Where-Object { $_.verb -in 'create', 'update', 'patch', 'delete' } | Measure-Object count -Sum).Sum)
    }
    $script:Peers3 = 0..2 | ForEach-Object { "chat-$_.chat-headless.chat.svc.cluster.local:5671" }
}

AfterAll {
    if ($script:Lab) { $script:Lab | Stop-ClydeLab }
}

Describe 'New-ClydeMesh' {
    It 'creates the namespace, ConfigMap, Services and an ordered StatefulSet, and waits for pod 0, then 1, then 2' {
        $mesh = New-ClydeMesh -Kubeconfig $Kube -Name chat -Image example.com/nexusd:1 -ClusterId prod -Args '--peers', '$(PEERS)' -Wait -Timeout 120s
        $mesh | Should -BeOfType ([ClydePS.ClydeMesh])
        $mesh.Name | Should -Be 'chat'
        $mesh.Namespace | Should -Be 'chat'
        $mesh.Outcome | Should -Be 'Created'
        $mesh.Replicas | Should -Be 3
        $mesh.ReadyReplicas | Should -Be 3
        $mesh.Peers | Should -Be $Peers3
        $mesh.ExternalService | Should -Be 'LoadBalancer'
        $mesh.ExternalEndpoint | Should -Match '^\d+\.\d+\.\d+\.\d+:5672$'
        $mesh.NamespaceCreatedByClydePS | Should -BeTrue
        $mesh.Age | Should -Not -BeNullOrEmpty

        $ns = Get-Lab '/api/v1/namespaces/chat'
        $ns.metadata.labels.'app.kubernetes.io/managed-by' | Should -Be 'ClydePS'
        $ns.metadata.labels.'clydeps.io/mesh' | Should -Be 'chat'
        $o = Get-MeshObjects chat
        foreach ($obj in $o.Values) {
            $obj.metadata.labels.'app.kubernetes.io/managed-by' | Should -Be 'ClydePS'
            $obj.metadata.labels.'clydeps.io/mesh' | Should -Be 'chat'
        }
        $o.configmap.data.PEERS | Should -Be ($Peers3 -join ',')
        $o.configmap.data.CLUSTER_ID | Should -Be 'prod'
        $o.configmap.data.REPLICA_COUNT | Should -Be '3'
        $o.configmap.data.MESH_PORT | Should -Be '5671'
        $o.configmap.data.APP_PORT | Should -Be '5672'
        $o.configmap.data.LOG_LEVEL | Should -Be 'INFO'
        $o.headless.spec.clusterIP | Should -Be 'None'
        $o.headless.spec.publishNotReadyAddresses | Should -BeTrue
        @($o.headless.spec.ports.port) | Should -Be @(5671, 5672)
        $o.external.spec.type | Should -Be 'LoadBalancer'
        $sts = $o.statefulset
        $sts.spec.podManagementPolicy | Should -Be 'OrderedReady'
        $sts.spec.serviceName | Should -Be 'chat-headless'
        $pod = $sts.spec.template.spec
        $pod.initContainers[0].command[2] | Should -Match 'nslookup chat-0\.chat-headless\.chat\.svc\.cluster\.local'
        $c = $pod.containers[0]
        @($c.env.name) | Should -Be @('POD_NAME', 'PEERS', 'REPLICA_COUNT', 'CLUSTER_ID', 'MESH_PORT', 'APP_PORT', 'LOG_LEVEL')
        $c.args | Should -Be @('--peers', '$(PEERS)')
        $c.livenessProbe.tcpSocket.port | Should -Be 5671
        $c.readinessProbe.tcpSocket.port | Should -Be 5672
        $c.resources.requests.cpu | Should -Be '100m'
        $c.resources.limits.memory | Should -Be '512Mi'

        # Ordered: every pod was created after the one before it.
        $pods = @(Get-MeshPods chat)
        @($pods.metadata.name) | Should -Be @('chat-0', 'chat-1', 'chat-2')
        (Get-Created $pods[0]) | Should -BeLessThan (Get-Created $pods[1])
        (Get-Created $pods[1]) | Should -BeLessThan (Get-Created $pods[2])
        # Each pod's init container found the first peer by its DNS name through the headless Service.
        $pods | ForEach-Object { $_.status.initContainerStatuses[0].state.terminated.exitCode | Should -Be 0 }
    }

    It 'changes nothing when run again with the same parameters' {
        $before = Get-MeshObjects chat
        $ns = (Get-Lab '/api/v1/namespaces/chat').metadata.resourceVersion
        $writes = Get-WriteCount
        $again = New-ClydeMesh -Kubeconfig $Kube -Name chat -Image example.com/nexusd:1 -ClusterId prod -Args '--peers', '$(PEERS)'
        $again.Outcome | Should -Be 'Unchanged'
        $after = Get-MeshObjects chat
        foreach ($k in $before.Keys) {
            $after[$k].metadata.resourceVersion | Should -Be $before[$k].metadata.resourceVersion -Because "$k must not be written"
        }
        (Get-Lab '/api/v1/namespaces/chat').metadata.resourceVersion | Should -Be $ns
        Get-WriteCount | Should -Be $writes
    }

    It 'updates when a parameter differs' {
        $updated = New-ClydeMesh -Kubeconfig $Kube -Name chat -Image example.com/nexusd:1 -ClusterId prod -Args '--peers', '$(PEERS)' -LogLevel DEBUG -Wait -Timeout 120s
        $updated.Outcome | Should -Be 'Updated'
        $updated.ReadyReplicas | Should -Be 3
        (Get-Lab '/api/v1/namespaces/chat/configmaps/chat-config').data.LOG_LEVEL | Should -Be 'DEBUG'
    }

    It '-WhatIf lists every object and creates nothing' {
        $out = New-ClydeMesh -Kubeconfig $Kube -Name dry -Image example.com/nexusd:1 -WhatIf -Verbose 4>&1
        $messages = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $messages | Should -Contain 'Namespace dry: create'
        $messages | Should -Contain 'ConfigMap dry/dry-config: create'
        $messages | Should -Contain 'Service dry/dry-headless: create'
        $messages | Should -Contain 'StatefulSet dry/dry: create'
        $messages | Should -Contain 'Service dry/dry-external: create'
        @($out | Where-Object { $_ -is [ClydePS.ClydeMesh] }) | Should -HaveCount 0
        Test-Lab '/api/v1/namespaces/dry' | Should -BeFalse
    }

    It '-AsManifest output applied with kubectl leaves every object''s spec, data and labels unchanged' {
        $yaml = New-ClydeMesh -Kubeconfig $Kube -Name chat -Image example.com/nexusd:1 -ClusterId prod -Args '--peers', '$(PEERS)' -LogLevel DEBUG -AsManifest
        $yaml | Should -BeOfType ([string])
        ([regex]::Matches($yaml, '(?m)^kind: (\w+)').Groups | Where-Object Name -eq 1 | ForEach-Object Value) |
            Should -Be @('Namespace', 'ConfigMap', 'Service', 'StatefulSet', 'Service')
        $before = Get-MeshObjects chat
        $path = Join-Path $TestDrive 'chat.yaml'
        Set-Content -Path $path -Value $yaml
        $kc = Invoke-Kubectl apply -f $path
        $kc.Code | Should -Be 0 -Because $kc.Output
        $after = Get-MeshObjects chat
        foreach ($k in $before.Keys) {
            ($after[$k].metadata.labels | ConvertTo-Json -Depth 20 -Compress) | Should -Be ($before[$k].metadata.labels | ConvertTo-Json -Depth 20 -Compress) -Because "$k labels"
            ($after[$k].spec | ConvertTo-Json -Depth 30 -Compress) | Should -Be ($before[$k].spec | ConvertTo-Json -Depth 30 -Compress) -Because "$k spec"
            ($after[$k].data | ConvertTo-Json -Depth 20 -Compress) | Should -Be ($before[$k].data | ConvertTo-Json -Depth 20 -Compress) -Because "$k data"
        }
        # New-ClydeMesh agrees with what kubectl applied.
        (New-ClydeMesh -Kubeconfig $Kube -Name chat -Image example.com/nexusd:1 -ClusterId prod -Args '--peers', '$(PEERS)' -LogLevel DEBUG).Outcome | Should -Be 'Unchanged'
    }

    It 'fails with the stuck pod and its reason when a pod never gets ready' {
        $err = { New-ClydeMesh -Kubeconfig $Kube -Name stuck -Image example.com/ghost:1 -Replicas 2 -Wait -Timeout 30s } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeRolloutTimeout'
        $err.Exception.Message | Should -Match 'stuck-0: (ErrImagePull|ImagePullBackOff)'
        # OrderedReady: the second pod never started.
        @(Get-MeshPods stuck).metadata.name | Should -Be @('stuck-0')
    }

    It 'rejects bad input before creating anything: <Case>' -ForEach @(
        @{ Case = 'zero replicas'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; Replicas = 0 }; Id = 'ClydeInvalidReplicas' }
        @{ Case = 'mesh port out of range'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; MeshPort = 70000 }; Id = 'ClydeInvalidPort' }
        @{ Case = 'app port zero'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; AppPort = 0 }; Id = 'ClydeInvalidPort' }
        @{ Case = 'same ports'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; MeshPort = 5000; AppPort = 5000 }; Id = 'ClydeInvalidPort' }
        @{ Case = 'invalid name'; Params = @{ Name = 'Bad_Name'; Image = 'busybox:1.36' }; Id = 'ClydeInvalidName' }
        @{ Case = 'name starting with a digit'; Params = @{ Name = '1mesh'; Image = 'busybox:1.36' }; Id = 'ClydeInvalidName' }
        @{ Case = 'invalid namespace'; Params = @{ Name = 'bad'; Namespace = 'Not_OK'; Image = 'busybox:1.36' }; Id = 'ClydeInvalidName' }
        @{ Case = 'bad resources'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; Resources = @{ requests = @{ cpu = 'lots' } } }; Id = 'ClydeInvalidMeshSetting' }
    ) {
        $writes = Get-WriteCount
        $err = { New-ClydeMesh -Kubeconfig $Kube @Params } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be $Id
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-WriteCount | Should -Be $writes
    }
}

Describe 'Get-ClydeMesh' {
    It 'finds meshes by their labels, with readiness' {
        $all = @(Get-ClydeMesh -Kubeconfig $Kube)
        $all.Name | Should -Contain 'chat'
        $all.Name | Should -Contain 'stuck'
        $chat = Get-ClydeMesh -Kubeconfig $Kube -Name chat
        $chat.Namespace | Should -Be 'chat'
        $chat.ReadyReplicas | Should -Be 3
        $chat.Peers | Should -Be $Peers3
        $chat.ClusterId | Should -Be 'prod'
        (Get-ClydeMesh -Kubeconfig $Kube -Name st*).Name | Should -Be 'stuck'
        (Get-ClydeMesh -Kubeconfig $Kube -Name stuck).ReadyReplicas | Should -Be 0
        @(Get-ClydeMesh -Kubeconfig $Kube -Namespace chat).Name | Should -Be @('chat')
        (Get-ClydeMesh -Kubeconfig $Kube -Name chat | Format-Table | Out-String) | Should -Match 'chat\s+chat\s+3\s+3'
    }

    It 'reports a missing mesh as a non-terminating error' {
        $null = Get-ClydeMesh -Kubeconfig $Kube -Name nosuch -ErrorVariable e -ErrorAction SilentlyContinue
        Get-ErrorId $e[0] | Should -Be 'ClydeMeshNotFound'
    }
}

Describe 'Set-ClydeMesh' {
    It 'changes nothing with the current values, and -WhatIf changes nothing either' {
        $writes = Get-WriteCount
        (Set-ClydeMesh -Kubeconfig $Kube -Name chat -Replicas 3 -LogLevel DEBUG).Outcome | Should -Be 'Unchanged'
        $out = Get-ClydeMesh -Kubeconfig $Kube -Name chat | Set-ClydeMesh -Kubeconfig $Kube -Replicas 4 -WhatIf -Verbose 4>&1
        @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) | Should -Contain 'StatefulSet chat/chat: update'
        Get-WriteCount | Should -Be $writes
        (Get-Lab '/apis/apps/v1/namespaces/chat/statefulsets/chat').spec.replicas | Should -Be 3
    }

    It 'scales 3 to 5: every peer gets the new list, existing pods restart highest ordinal first' {
        $old = @(Get-MeshPods chat)
        $mesh = Set-ClydeMesh -Kubeconfig $Kube -Name chat -Replicas 5 -Wait -Timeout 180s
        $mesh.Outcome | Should -Be 'Updated'
        $mesh.Replicas | Should -Be 5
        $mesh.ReadyReplicas | Should -Be 5
        $peers5 = 0..4 | ForEach-Object { "chat-$_.chat-headless.chat.svc.cluster.local:5671" }
        $mesh.Peers | Should -Be $peers5
        $mesh.ClusterId | Should -Be 'prod'
        $cm = Get-Lab '/api/v1/namespaces/chat/configmaps/chat-config'
        $cm.data.PEERS | Should -Be ($peers5 -join ',')
        $cm.data.REPLICA_COUNT | Should -Be '5'
        $cm.data.LOG_LEVEL | Should -Be 'DEBUG'
        $sts = Get-Lab '/apis/apps/v1/namespaces/chat/statefulsets/chat'
        $hash = $sts.spec.template.metadata.annotations.'clydeps.io/peer-config-hash'
        $pods = @(Get-MeshPods chat)
        @($pods.metadata.name) | Should -Be @('chat-0', 'chat-1', 'chat-2', 'chat-3', 'chat-4')
        # Every pod runs the new peer configuration (a new pod of each old ordinal).
        $pods | ForEach-Object { $_.metadata.annotations.'clydeps.io/peer-config-hash' | Should -Be $hash }
        0..2 | ForEach-Object { $pods[$_].metadata.uid | Should -Not -Be $old[$_].metadata.uid }
        # Restarted highest ordinal first.
        (Get-Created $pods[2]) | Should -BeLessThan (Get-Created $pods[1])
        (Get-Created $pods[1]) | Should -BeLessThan (Get-Created $pods[0])
    }

    It 'scales 5 to 2: removes the highest ordinals and restarts the rest with the shorter list' {
        $mesh = Set-ClydeMesh -Kubeconfig $Kube -Name chat -Replicas 2 -Wait -Timeout 180s
        $mesh.Replicas | Should -Be 2
        $mesh.ReadyReplicas | Should -Be 2
        $peers2 = 0..1 | ForEach-Object { "chat-$_.chat-headless.chat.svc.cluster.local:5671" }
        $mesh.Peers | Should -Be $peers2
        (Get-Lab '/api/v1/namespaces/chat/configmaps/chat-config').data.PEERS | Should -Be ($peers2 -join ',')
        $hash = (Get-Lab '/apis/apps/v1/namespaces/chat/statefulsets/chat').spec.template.metadata.annotations.'clydeps.io/peer-config-hash'
        $pods = @(Get-MeshPods chat)
        @($pods.metadata.name) | Should -Be @('chat-0', 'chat-1')
        $pods | ForEach-Object { $_.metadata.annotations.'clydeps.io/peer-config-hash' | Should -Be $hash }
        (Get-Created $pods[1]) | Should -BeLessThan (Get-Created $pods[0])
    }

    It 'rejects bad input and a missing mesh' {
        $err = { Set-ClydeMesh -Kubeconfig $Kube -Name chat -Replicas 0 } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeInvalidReplicas'
        $err = { Set-ClydeMesh -Kubeconfig $Kube -Name chat -MeshPort 70000 } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeInvalidPort'
        # The app port would collide with the mesh's current mesh port.
        $rv = (Get-Lab '/apis/apps/v1/namespaces/chat/statefulsets/chat').metadata.resourceVersion
        $err = { Set-ClydeMesh -Kubeconfig $Kube -Name chat -AppPort 5671 } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeInvalidPort'
        (Get-Lab '/apis/apps/v1/namespaces/chat/statefulsets/chat').metadata.resourceVersion | Should -Be $rv
        $err = { Set-ClydeMesh -Kubeconfig $Kube -Name nosuch -Replicas 2 -MeshPort 65000 } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeMeshNotFound'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'Remove-ClydeMesh' {
    It 'refuses to delete a namespace the mesh did not create, and removes the mesh alone' {
        $null = New-ClydeMesh -Kubeconfig $Kube -Name side -Namespace default -Image example.com/nexusd:1 -Replicas 1 -ExternalService None -Wait -Timeout 60s
        (Get-ClydeMesh -Kubeconfig $Kube -Name side).NamespaceCreatedByClydePS | Should -BeFalse
        $err = { Remove-ClydeMesh -Kubeconfig $Kube -Name side -Namespace default -IncludeNamespace -Confirm:$false } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeNamespaceNotOwned'
        Test-Lab '/apis/apps/v1/namespaces/default/statefulsets/side' | Should -BeTrue

        $removed = Remove-ClydeMesh -Kubeconfig $Kube -Name side -Namespace default -Confirm:$false -PassThru
        $removed | Should -Contain 'StatefulSet default/side'
        $removed | Should -Contain 'ConfigMap default/side-config'
        Test-Lab '/apis/apps/v1/namespaces/default/statefulsets/side' | Should -BeFalse
        Test-Lab '/api/v1/namespaces/default/services/side-headless' | Should -BeFalse
        @(Get-MeshPods side default) | Should -HaveCount 0
        Test-Lab '/api/v1/namespaces/default' | Should -BeTrue
    }

    It '-WhatIf deletes nothing' {
        Remove-ClydeMesh -Kubeconfig $Kube -Name chat -IncludeNamespace -WhatIf
        Test-Lab '/apis/apps/v1/namespaces/chat/statefulsets/chat' | Should -BeTrue
    }

    It 'deletes every object and the namespace it created, and waits until they are gone' {
        Remove-ClydeMesh -Kubeconfig $Kube -Name chat -IncludeNamespace -Confirm:$false
        Test-Lab '/api/v1/namespaces/chat' | Should -BeFalse
        @(Get-ClydeMesh -Kubeconfig $Kube).Name | Should -Not -Contain 'chat'
        $err = { Remove-ClydeMesh -Kubeconfig $Kube -Name chat -Confirm:$false } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeMeshNotFound'
    }
}
