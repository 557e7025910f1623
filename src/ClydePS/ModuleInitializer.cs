using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace ClydePS;

/// <summary>
/// Loads the engine and every one of its dependencies (KubernetesClient, YamlDotNet, ...) into a private
/// load context, so another module's copy of those libraries in the session can never break ClydePS.
/// The default context asks us only for the engine assembly; everything it references is then resolved
/// inside the private context from the module's Dependencies folder.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string DependencyFolder = Path.Combine(
        Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "Dependencies");

    private static readonly Lazy<ClydeLoadContext> Context = new(() => new ClydeLoadContext(DependencyFolder));
    private static int hooked;

    public void OnImport()
    {
        if (Interlocked.Exchange(ref hooked, 1) == 0)
        {
            AssemblyLoadContext.Default.Resolving += ResolveEngine;
        }

        RegisterTypeNames();
    }

    /// <summary>
    /// PowerShell resolves type literals only among default-context assemblies. Registering the public
    /// output types by their full names lets scripts write <c>[ClydePS.ClydeNode]</c> and
    /// <c>Should -BeOfType ClydePS.ClydeNode</c> although the engine lives in the private context.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RegisterTypeNames()
    {
        Type? accelerators = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");
        MethodInfo? add = accelerators?.GetMethod("Add", [typeof(string), typeof(Type)]);
        if (add == null)
        {
            return;
        }

        foreach (Type type in typeof(ClydeNode).Assembly.GetExportedTypes().Where(t => t.Namespace == "ClydePS"))
        {
            add.Invoke(null, [type.FullName!, type]);
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        // The hook stays: the cmdlet assembly cannot be unloaded, and a re-import must find the same engine.
    }

    private static Assembly? ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName name)
    {
        return name.Name == "ClydePS.Engine" ? Context.Value.LoadFromAssemblyName(name) : null;
    }

    private sealed class ClydeLoadContext : AssemblyLoadContext
    {
        private readonly string folder;

        public ClydeLoadContext(string folder) : base("ClydePS", isCollectible: false) => this.folder = folder;

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            string path = Path.Combine(folder, assemblyName.Name + ".dll");
            // Framework and PowerShell assemblies are not in the folder: null defers them to the default context.
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
