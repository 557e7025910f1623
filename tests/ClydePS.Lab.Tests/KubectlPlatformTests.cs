using System.Diagnostics;
using System.Net;

namespace ClydePS.Lab.Tests;

/// <summary>kubectl against the platform kinds: services, endpoints, config, RBAC (auth can-i), CRDs, namespace deletion, error rendering.</summary>
public sealed class KubectlPlatformTests
{


    [Fact]
    public async Task Kubectl_platform_kinds_apply_auth_crds_and_namespace_deletion()
    {
        KubectlRunner.Require();
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 2, Https = true });
        var kc = lab.Host.KubeconfigPath;

        // apply a ConfigMap + Service + Secret twice: created, then unchanged; changed: configured
        var manifest = Path.Combine(lab.Host.StateDir, "app.yaml");
        const string yaml = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: app-config}
            data: {mode: fast}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: app}
            spec:
              selector: {app: app}
              ports:
              - {name: http, port: 80, targetPort: 8080}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: app-secret}
            stringData: {password: hunter2}
            """;
        File.WriteAllText(manifest, yaml);
        var (a1, out1, err1) = await KubectlRunner.Run(kc, "apply", "-f", manifest);
        Assert.True(a1 == 0, err1);
        Assert.Contains("configmap/app-config created", out1);
        Assert.Contains("service/app created", out1);
        Assert.Contains("secret/app-secret created", out1);
        var (a2, out2, err2) = await KubectlRunner.Run(kc, "apply", "-f", manifest);
        Assert.True(a2 == 0, err2);
        Assert.Contains("configmap/app-config unchanged", out2);
        Assert.Contains("service/app unchanged", out2);
        File.WriteAllText(manifest, yaml.Replace("mode: fast", "mode: slow"));
        var (a3, out3, err3) = await KubectlRunner.Run(kc, "apply", "-f", manifest);
        Assert.True(a3 == 0, err3);
        Assert.Contains("configmap/app-config configured", out3);
        var (_, cm, _) = await lab.GetAsync("/api/v1/namespaces/default/configmaps/app-config");
        Assert.Equal("slow", (string)cm!["data"]!["mode"]!);

        var (gc, got, gerr) = await KubectlRunner.Run(kc, "get", "svc,ep,cm,secrets,sa", "-A");
        Assert.True(gc == 0, gerr);
        Assert.Contains("service/kubernetes", got);
        Assert.Contains("service/app", got);
        Assert.Contains("endpoints/app", got);
        Assert.Contains("configmap/kube-root-ca.crt", got);
        Assert.Contains("secret/app-secret", got);
        Assert.Contains("serviceaccount/default", got);
        Assert.Contains("NAMESPACE   NAME                 TYPE        CLUSTER-IP", got);
        var (sc, svc, serr) = await KubectlRunner.Run(kc, "get", "svc", "app");
        Assert.True(sc == 0, serr);
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], KubectlRunner.Header(svc));
        Assert.Contains("80/TCP", svc);

        // strict validation of an unknown field
        var bad = Path.Combine(lab.Host.StateDir, "bad.yaml");
        File.WriteAllText(bad, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {a: b}\nbogus: 1\n");
        var (bc, _, berr) = await KubectlRunner.Run(kc, "create", "-f", bad);
        Assert.NotEqual(0, bc);
        Assert.Contains("strict decoding error: unknown field \"bogus\"", berr);

        // auth can-i, impersonating a service account (the admin may impersonate)
        await lab.PostAsync("/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"clyde"}}""");
        var (n1, no, nerr) = await KubectlRunner.Run(kc, "auth", "can-i", "list", "pods", "-n", "clyde", "--as", "system:serviceaccount:clyde:agent");
        Assert.True(n1 == 1, nerr);
        Assert.True(no.Trim() == "no", "stdout: " + no + " stderr: " + nerr);
        Assert.Equal(HttpStatusCode.Created, (await lab.PostAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/clyde/rolebindings",
            """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"agent-view"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"ServiceAccount","name":"agent","namespace":"clyde"}]}""")).Code);
        var (y1, yes, yerr) = await KubectlRunner.Run(kc, "auth", "can-i", "list", "pods", "-n", "clyde", "--as", "system:serviceaccount:clyde:agent");
        Assert.True(y1 == 0, yerr);
        Assert.Equal("yes", yes.Trim());
        // kubectl create token (TokenRequest, sent as protobuf) gives a token that works as the account
        await lab.PostAsync("/api/v1/namespaces/clyde/serviceaccounts", """{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"agent"}}""");
        var (tk, token, tkerr) = await KubectlRunner.Run(kc, "create", "token", "agent", "-n", "clyde", "--duration=20m");
        Assert.True(tk == 0, tkerr);
        using (var req = new HttpRequestMessage(HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"))
        {
            req.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Trim());
            req.Content = new StringContent("""{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"namespace":"clyde","verb":"watch","resource":"pods"}}}""", System.Text.Encoding.UTF8, "application/json");
            var resp = await lab.Http.SendAsync(req);
            Assert.Contains("\"allowed\":true", await resp.Content.ReadAsStringAsync());
        }

        // CRDs and custom resources
        var crdFile = Path.Combine(lab.Host.StateDir, "crd.json");
        File.WriteAllText(crdFile, CrdTests.WidgetCrd);
        var (cc, cout, cerr) = await KubectlRunner.Run(kc, "create", "-f", crdFile);
        Assert.True(cc == 0, cerr);
        Assert.Contains("customresourcedefinition.apiextensions.k8s.io/widgets.example.com created", cout);
        await Wait.Until(async () => (await lab.GetAsync("/apis/example.com/v1")).Code == HttpStatusCode.OK, "served");
        var (gcrd, crds, gcerr) = await KubectlRunner.Run(kc, "get", "crd");
        Assert.True(gcrd == 0, gcerr);
        Assert.Equal(["NAME", "CREATED", "AT"], KubectlRunner.Header(crds));
        Assert.Contains("widgets.example.com", crds);
        var widget = Path.Combine(lab.Host.StateDir, "widget.yaml");
        File.WriteAllText(widget, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n");
        var (wc, _, werr) = await KubectlRunner.Run(kc, "apply", "-f", widget);
        Assert.True(wc == 0, werr);
        var (lw, widgets, lwerr) = await KubectlRunner.Run(kc, "get", "wd");
        Assert.True(lw == 0, lwerr);
        Assert.Equal(["NAME", "SIZE", "AGE"], KubectlRunner.Header(widgets));
        Assert.StartsWith("w1", widgets.Split('\n')[1]);
        File.WriteAllText(widget, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: 30}\n");
        var (ic, _, ierr) = await KubectlRunner.Run(kc, "create", "-f", widget);
        Assert.NotEqual(0, ic);
        Assert.Contains("The Widget \"w2\" is invalid: spec.size: Invalid value: 30: spec.size in body should be less than or equal to 10", ierr);

        // namespace deletion waits until the namespace is gone
        await lab.PostAsync("/api/v1/namespaces/clyde/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}""");
        var (dc, dout, derr) = await KubectlRunner.Run(kc, "delete", "ns", "clyde");
        Assert.True(dc == 0, derr);
        Assert.Contains("namespace \"clyde\" deleted", dout);
        Assert.Equal(HttpStatusCode.NotFound, (await lab.GetAsync("/api/v1/namespaces/clyde")).Code);
    }

    [Fact]
    public async Task Kubectl_renders_status_errors_over_plain_http()
    {
        KubectlRunner.Require();
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 1, AllowAnonymous = true });
        var kc = lab.Host.KubeconfigPath;
        var (nc, _, nerr) = await KubectlRunner.Run(kc, "get", "cm", "nope");
        Assert.Equal(1, nc);
        Assert.Contains("Error from server (NotFound): configmaps \"nope\" not found", nerr);
        var file = Path.Combine(lab.Host.StateDir, "cm.yaml");
        File.WriteAllText(file, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup}\n");
        Assert.Equal(0, (await KubectlRunner.Run(kc, "create", "-f", file)).Code);
        var (dc, _, derr) = await KubectlRunner.Run(kc, "create", "-f", file);
        Assert.Equal(1, dc);
        Assert.Contains("Error from server (AlreadyExists): error when creating \"" + file + "\": configmaps \"dup\" already exists", derr);
        File.WriteAllText(file, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n");
        var (ic, _, ierr) = await KubectlRunner.Run(kc, "create", "-f", file);
        Assert.Equal(1, ic);
        Assert.Contains("The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain", ierr);
        File.WriteAllText(file, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n");
        var (sc, _, serr) = await KubectlRunner.Run(kc, "create", "-f", file);
        Assert.True(sc == 0, serr);
        var (tc, tout, terr) = await KubectlRunner.Run(kc, "get", "ep", "web");
        Assert.True(tc == 0, terr);
        Assert.Equal(["NAME", "ENDPOINTS", "AGE"], KubectlRunner.Header(tout));
        Assert.Contains("<none>", tout);
    }
}
