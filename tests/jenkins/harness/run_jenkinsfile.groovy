// Evaluates a declarative Jenkinsfile with Groovy 2.4 (the Groovy Jenkins embeds) and a stub declarative DSL.
//
//   groovy run_jenkinsfile.groovy REQUEST.json
//   groovy run_jenkinsfile.groovy --serve
//
// REQUEST.json: {"jenkinsfile": path, "workspace": dir, "params": {name: value},
//                "failCommands": [substring, ...], "inputResponse": "proceed" | "abort" | {stage: ...},
//                "execute": [stage name | "post", ...], "credentials": {roleArn: {...}},
//                "jobName": name, "buildNumber": n,  (JOB_NAME, BUILD_NUMBER, BUILD_URL as Jenkins sets them)
//                "parameters": [{name: type, args: [{name, defaultValue | choices, trim}]}, ...]  (the job's, used
//                when the Jenkinsfile declares none: the form the parameters { } block is recorded in)
//                "processEnv": {name: value}}  (the agent's environment for executed commands; default: this process')
//
// Two phases, as in Jenkins:
// 1. Validation on the syntax tree (what Jenkins' declarative model validator rejects before a build starts):
//    a syntax error, unknown sections, a stage without steps, bare Groovy (assignments, declarations, control
//    flow) in steps or post blocks outside `script {}`, `when { branch }` in a plain pipeline job.
// 2. A run with the given parameters that records the parameters, options, environment, stage order and status,
//    every `when` outcome, every withAWS (role, account, region) and every `sh` command with its directory and
//    environment. By default `sh` runs nothing: a command containing one of failCommands fails like a non-zero
//    exit. The `sh` commands of the stages named in "execute" (and of post blocks when it holds "post") REALLY
//    run with bash in the workspace, with the process environment plus the Jenkins one; inside withAWS they get
//    the credentials given for that role ARN in "credentials" ({roleArn: {AccessKeyId, SecretAccessKey,
//    SessionToken}}), obtained by the caller by really assuming the role.
//
// Prints one JSON document on stdout. Exit status 0 when the Jenkinsfile is valid (whatever the build result),
// 1 when it is invalid (the JSON then holds "errors"). With --serve instead of a file: one request per line on
// stdin, one report per line on stdout (with "exitStatus").

import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import org.codehaus.groovy.ast.ASTNode
import org.codehaus.groovy.ast.builder.AstBuilder
import org.codehaus.groovy.ast.expr.ArgumentListExpression
import org.codehaus.groovy.ast.expr.BinaryExpression
import org.codehaus.groovy.ast.expr.ClosureExpression
import org.codehaus.groovy.ast.expr.ConstantExpression
import org.codehaus.groovy.ast.expr.Expression
import org.codehaus.groovy.ast.expr.MethodCallExpression
import org.codehaus.groovy.ast.expr.TupleExpression
import org.codehaus.groovy.ast.expr.VariableExpression
import org.codehaus.groovy.ast.stmt.BlockStatement
import org.codehaus.groovy.ast.stmt.ExpressionStatement
import org.codehaus.groovy.ast.stmt.Statement
import org.codehaus.groovy.control.CompilePhase
import org.codehaus.groovy.control.MultipleCompilationErrorsException

// ---------------------------------------------------------------------------------------------------------------
// Phase 1: declarative rules on the syntax tree
// ---------------------------------------------------------------------------------------------------------------

class DeclarativeValidator {
    static final Set PIPELINE_SECTIONS = ['agent', 'parameters', 'options', 'environment', 'stages', 'post',
                                          'triggers', 'tools', 'libraries'] as Set
    static final Set STAGE_SECTIONS = ['agent', 'when', 'steps', 'environment', 'options', 'post', 'input',
                                       'tools', 'stages', 'parallel', 'failFast'] as Set
    static final Set POST_CONDITIONS = ['always', 'changed', 'fixed', 'regression', 'aborted', 'failure',
                                        'success', 'unstable', 'unsuccessful', 'cleanup'] as Set
    static final Set WHEN_CONDITIONS = ['expression', 'not', 'allOf', 'anyOf', 'environment', 'equals',
                                        'beforeAgent', 'beforeInput', 'beforeOptions', 'triggeredBy', 'branch',
                                        'changeRequest', 'buildingTag', 'tag', 'changelog', 'changeset'] as Set
    // These conditions read SCM metadata that only multibranch jobs provide; in a plain pipeline job they
    // are silently false, so a stage guarded by them never runs.
    static final Set MULTIBRANCH_ONLY_CONDITIONS = ['branch', 'changeRequest', 'buildingTag', 'tag'] as Set
    static final Set PARAMETER_TYPES = ['string', 'choice', 'booleanParam', 'text', 'password'] as Set

    List<String> errors = []

    List<String> validate(String source) {
        List<ASTNode> nodes
        try {
            nodes = new AstBuilder().buildFromString(CompilePhase.CONVERSION, false, source)
        } catch (MultipleCompilationErrorsException e) {
            errors << "syntax error: ${e.message.readLines().findAll { it.trim() }.join(' ')}".toString()
            return errors
        }
        BlockStatement script = nodes[0] as BlockStatement
        List<MethodCallExpression> pipelines = []
        script.statements.each { Statement statement ->
            MethodCallExpression call = callOf(statement)
            if (call?.methodAsString == 'pipeline') {
                pipelines << call
            } else {
                error(statement, "only a pipeline { } block may stand at the top level of a declarative Jenkinsfile")
            }
        }
        if (pipelines.size() != 1) {
            errors << "a declarative Jenkinsfile has exactly one pipeline { } block, found ${pipelines.size()}".toString()
            return errors
        }
        validatePipeline(pipelines[0])
        return errors
    }

    private void validatePipeline(MethodCallExpression pipeline) {
        Map<String, MethodCallExpression> sections = sectionsOf(pipeline, 'pipeline', PIPELINE_SECTIONS)
        ['agent', 'stages'].each { required ->
            if (!sections.containsKey(required)) errors << "pipeline: the '${required}' section is required".toString()
        }
        if (sections.parameters) validateCalls(sections.parameters, 'parameters', PARAMETER_TYPES)
        if (sections.environment) validateEnvironment(sections.environment, 'pipeline')
        if (sections.post) validatePost(sections.post, 'pipeline')
        if (sections.stages) validateStages(sections.stages)
    }

    private void validateStages(MethodCallExpression stages) {
        Set<String> names = [] as Set
        List<Statement> statements = bodyOf(stages, 'stages')
        if (statements != null && statements.isEmpty()) error(stages, "stages: at least one stage is required")
        statements?.each { Statement statement ->
            MethodCallExpression call = callOf(statement)
            if (call?.methodAsString != 'stage') {
                error(statement, "stages: only stage('name') { } blocks are allowed here")
                return
            }
            List<Expression> args = argumentsOf(call)
            if (args.size() != 2 || !(args[0] instanceof ConstantExpression) || !(args[1] instanceof ClosureExpression)) {
                error(call, "stages: a stage is written stage('name') { ... } with a literal name")
                return
            }
            String name = (args[0] as ConstantExpression).value as String
            if (!names.add(name)) error(call, "stage '${name}': stage names must be unique")
            validateStage(call, name)
        }
    }

    private void validateStage(MethodCallExpression stage, String name) {
        Map<String, MethodCallExpression> sections = sectionsOf(stage, "stage '${name}'", STAGE_SECTIONS)
        int bodies = ['steps', 'stages', 'parallel'].count { sections.containsKey(it) }
        if (bodies != 1) {
            error(stage, "stage '${name}': exactly one of steps, stages or parallel is required")
        }
        if (sections.steps) {
            List<Statement> steps = bodyOf(sections.steps, "stage '${name}' steps")
            if (steps != null && steps.isEmpty()) error(sections.steps, "stage '${name}': steps must not be empty")
            steps?.each { validateStep(it, "stage '${name}' steps") }
        }
        if (sections.stages) validateStages(sections.stages)
        if (sections.when) validateWhen(sections.when, "stage '${name}'")
        if (sections.environment) validateEnvironment(sections.environment, "stage '${name}'")
        if (sections.post) validatePost(sections.post, "stage '${name}'")
    }

    // A step is a call of a step function. Its closure arguments (withAWS, dir, timeout, ...) hold steps too;
    // only `script { }` may hold arbitrary Groovy.
    private void validateStep(Statement statement, String where) {
        MethodCallExpression call = callOf(statement)
        if (call == null || !call.implicitThis) {
            error(statement, "${where}: only step calls are allowed here; put Groovy code " +
                    "(assignments, declarations, if/for/try) inside a script { } block")
            return
        }
        if (call.methodAsString == 'script') return
        argumentsOf(call).findAll { it instanceof ClosureExpression }.each { ClosureExpression body ->
            List<Statement> inner = blockOf(body)
            if (inner.isEmpty()) error(call, "${where}: ${call.methodAsString} { } must not be empty")
            inner.each { validateStep(it, "${where} > ${call.methodAsString}") }
        }
    }

    private void validateWhen(MethodCallExpression when, String where) {
        bodyOf(when, "${where} when")?.each { Statement statement -> validateCondition(statement, "${where} when") }
    }

    private void validateCondition(Statement statement, String where) {
        MethodCallExpression call = callOf(statement)
        if (call == null || !(call.methodAsString in WHEN_CONDITIONS)) {
            error(statement, "${where}: unknown condition; use one of ${WHEN_CONDITIONS.sort().join(', ')}")
            return
        }
        if (call.methodAsString == 'equals') {
            // Not a Jenkins rule: inside a closure Groovy binds equals(...) to the closure's own Object.equals,
            // so the stub DSL could never see this condition and would silently evaluate it as absent.
            error(call, "${where}: the test harness cannot evaluate 'equals'; write expression { a == b } instead")
        }
        if (call.methodAsString in MULTIBRANCH_ONLY_CONDITIONS) {
            error(call, "${where}: '${call.methodAsString}' only works in multibranch jobs; this job is a plain " +
                    "pipeline job, use expression { ... } on params or env instead")
        }
        if (call.methodAsString in ['not', 'allOf', 'anyOf']) {
            argumentsOf(call).findAll { it instanceof ClosureExpression }.each { ClosureExpression body ->
                blockOf(body).each { validateCondition(it, "${where} > ${call.methodAsString}") }
            }
        }
    }

    private void validatePost(MethodCallExpression post, String where) {
        sectionsOf(post, "${where} post", POST_CONDITIONS).each { String condition, MethodCallExpression call ->
            List<Statement> steps = bodyOf(call, "${where} post ${condition}")
            if (steps != null && steps.isEmpty()) error(call, "${where} post ${condition}: must not be empty")
            steps?.each { validateStep(it, "${where} post ${condition}") }
        }
    }

    private void validateEnvironment(MethodCallExpression environment, String where) {
        bodyOf(environment, "${where} environment")?.each { Statement statement ->
            Expression expression = statement instanceof ExpressionStatement ? (statement as ExpressionStatement).expression : null
            boolean assignment = expression instanceof BinaryExpression &&
                    (expression as BinaryExpression).operation.text == '=' &&
                    (expression as BinaryExpression).leftExpression instanceof VariableExpression
            if (!assignment) {
                error(statement, "${where} environment: only NAME = value assignments are allowed")
            } else if (!((expression as BinaryExpression).leftExpression as VariableExpression).name.matches(/[A-Za-z_][A-Za-z0-9_]*/)) {
                error(statement, "${where} environment: invalid variable name")
            }
        }
    }

    private void validateCalls(MethodCallExpression section, String where, Set allowed) {
        bodyOf(section, where)?.each { Statement statement ->
            MethodCallExpression call = callOf(statement)
            if (call == null || !(call.methodAsString in allowed)) {
                error(statement, "${where}: only ${allowed.sort().join(', ')} are allowed here")
            }
        }
    }

    // The sections of a block, checked against the known ones, each at most once.
    private Map<String, MethodCallExpression> sectionsOf(MethodCallExpression block, String where, Set known) {
        Map<String, MethodCallExpression> sections = [:]
        bodyOf(block, where)?.each { Statement statement ->
            MethodCallExpression call = callOf(statement)
            if (call == null || !call.implicitThis) {
                error(statement, "${where}: only sections are allowed here (${known.sort().join(', ')})")
            } else if (!(call.methodAsString in known)) {
                error(call, "${where}: unknown section '${call.methodAsString}'; known: ${known.sort().join(', ')}")
            } else if (sections.containsKey(call.methodAsString)) {
                error(call, "${where}: section '${call.methodAsString}' appears twice")
            } else {
                sections[call.methodAsString] = call
            }
        }
        return sections
    }

    private List<Statement> bodyOf(MethodCallExpression call, String where) {
        ClosureExpression body = argumentsOf(call).find { it instanceof ClosureExpression } as ClosureExpression
        if (body == null) {
            error(call, "${where}: a { } block is required")
            return null
        }
        return blockOf(body)
    }

    private static List<Statement> blockOf(ClosureExpression closure) {
        Statement code = closure.code
        return code instanceof BlockStatement ? (code as BlockStatement).statements : [code]
    }

    private static MethodCallExpression callOf(Statement statement) {
        if (!(statement instanceof ExpressionStatement)) return null
        Expression expression = (statement as ExpressionStatement).expression
        return expression instanceof MethodCallExpression ? expression as MethodCallExpression : null
    }

    private static List<Expression> argumentsOf(MethodCallExpression call) {
        Expression arguments = call.arguments
        if (arguments instanceof ArgumentListExpression || arguments instanceof TupleExpression) {
            return (arguments as TupleExpression).expressions
        }
        return [arguments]
    }

    private void error(ASTNode node, String message) {
        errors << "line ${node.lineNumber}: ${message}".toString()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Phase 2: a recorded run
// ---------------------------------------------------------------------------------------------------------------

/** A step failed (sh exit status, error step): the stage fails, later stages are skipped, post runs. */
class StepFailure extends RuntimeException {
    StepFailure(String message) { super(message) }
}

/** The build was aborted at an input step. */
class BuildAborted extends RuntimeException {
    BuildAborted(String message) { super(message) }
}

/** Jenkins' `env`: string values, null for unset names; withAWS and withEnv add layers for their bodies. */
class EnvVars {
    private final Map<String, String> globals = [:]
    private final List<Map<String, String>> layers = []

    def propertyMissing(String name) { effective()[name] }

    def propertyMissing(String name, value) { globals[name] = value == null ? null : value.toString() }

    Map<String, String> effective() {
        Map<String, String> merged = new TreeMap<String, String>(globals)
        layers.each { merged.putAll(it) }
        return merged
    }

    def withLayer(Map<String, String> layer, Closure body) {
        layers.push(layer)
        try { return body.call() } finally { layers.pop() }
    }
}

class Recorder {
    List stages = []
    List commands = []
    List withAws = []
    List inputs = []
    List archived = []
    List echoes = []
    List post = []
    String stage
    String section
}

/** The steps a stage or post block may call. Unknown steps fail with MissingMethodException. */
class StepsDsl {
    final Recorder recorder
    final EnvVars env
    final Map params
    final File workspace
    final Map request
    private final List<String> directories = []
    private final List<Map> awsContexts = []

    StepsDsl(Recorder recorder, EnvVars env, Map params, Map request) {
        this.recorder = recorder
        this.env = env
        this.params = params
        this.request = request
        this.workspace = new File(request.workspace as String)
    }

    def run(Closure body) {
        Closure steps = body.rehydrate(this, body.owner, body.thisObject)
        steps.resolveStrategy = Closure.DELEGATE_FIRST
        return steps.call()
    }

    def sh(String script) { sh(script: script) }

    def sh(Map args) {
        String script = args.script?.toString()
        if (!script) throw new StepFailure('sh: the script argument is required')
        Map command = [stage: recorder.stage, section: recorder.section, script: script,
                       dir: directories ? directories.join('/') : '.', env: env.effective(),
                       aws: awsContexts ? awsContexts.last() : null, executed: false]
        recorder.commands << command
        int status
        String output = ''
        if (executes()) {
            (status, output) = execute(script, command)
            command.executed = true
            command.output = output
        } else {
            status = (request.failCommands ?: []).any { script.contains(it) } ? 1 : 0
        }
        command.exitStatus = status
        if (args.returnStatus) return status
        if (status != 0) throw new StepFailure("script returned exit code ${status}: ${script}")
        return args.returnStdout ? output : null
    }

    private boolean executes() {
        List execute = (request.execute ?: []) as List
        return recorder.section == 'steps' ? recorder.stage in execute : 'post' in execute
    }

    // Runs the command as Jenkins' sh step does: bash in the directory, the agent's environment plus the
    // build's, stdout and stderr together in the log.
    private List execute(String script, Map command) {
        ProcessBuilder builder = new ProcessBuilder('bash', '-c', script)
        builder.directory(new File(workspace, command.dir as String))
        builder.redirectErrorStream(true)
        Map<String, String> environment = builder.environment()
        if (request.processEnv != null) {
            // The agent's environment as the caller has it now (this process may be older than its settings).
            environment.clear()
            environment.putAll(request.processEnv as Map<String, String>)
        }
        Map<String, String> jenkinsEnv = new TreeMap<String, String>(command.env as Map)
        if (command.aws?.roleArn) {
            Map credentials = (request.credentials ?: [:])[command.aws.roleArn] as Map
            if (credentials == null) {
                throw new StepFailure("withAWS: no credentials given for ${command.aws.roleArn}: cannot execute '${script}'")
            }
            // withAWS replaces whatever credentials the agent had with the assumed role's.
            ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE'].each { environment.remove(it) }
            jenkinsEnv.AWS_ACCESS_KEY_ID = credentials.AccessKeyId
            jenkinsEnv.AWS_SECRET_ACCESS_KEY = credentials.SecretAccessKey
            jenkinsEnv.AWS_SESSION_TOKEN = credentials.SessionToken
        }
        jenkinsEnv.each { name, value -> if (value != null) environment.put(name, value) }
        Process process = builder.start()
        String output = process.inputStream.getText('UTF-8')
        return [process.waitFor(), output]
    }

    def script(Closure body) { run(body) }

    // The scripted `stage` step, in a script { } block: a stage named at run time, recorded after the declarative
    // stage it runs in (with that stage as its parent); a failure in it fails that stage too.
    def stage(String name, Closure body) {
        String parent = recorder.stage
        Map entry = [name: name, parent: parent, when: null, status: null]
        recorder.stages << entry
        recorder.stage = name
        try {
            run(body)
            entry.status = 'success'
        } catch (BuildAborted aborted) {
            entry.status = 'aborted'
            throw aborted
        } catch (RuntimeException failure) {
            entry.status = 'failed'
            throw failure
        } finally {
            recorder.stage = parent
        }
    }

    def echo(Object message) { recorder.echoes << [stage: recorder.stage, message: message.toString()] }

    def error(Object message) { throw new StepFailure(message.toString()) }

    def dir(String path, Closure body) {
        directories.push(path)
        try { return run(body) } finally { directories.pop() }
    }

    def withEnv(List<String> assignments, Closure body) {
        Map<String, String> layer = assignments.collectEntries { String item ->
            int split = item.indexOf('=')
            [(item.substring(0, split)): item.substring(split + 1)]
        }
        return env.withLayer(layer) { run(body) }
    }

    def timeout(Map args, Closure body) { run(body) }

    // Pipeline: AWS Steps. Records the role and account; the body sees placeholder credentials naming them,
    // which a test replaces with credentials really obtained by assuming that role.
    def withAWS(Map args, Closure body) {
        String role = args.role?.toString()
        String account = args.roleAccount?.toString()
        if (role && !(account ==~ /\d{12}/)) {
            throw new StepFailure("withAWS: roleAccount must be a 12-digit account id, got '${account}'")
        }
        Map context = [stage: recorder.stage, section: recorder.section, role: role, roleAccount: account,
                       region: args.region?.toString(), roleArn: role ? "arn:aws:iam::${account}:role/${role}".toString() : null]
        recorder.withAws << context
        awsContexts.push(context)
        Map<String, String> layer = [AWS_ACCESS_KEY_ID    : "withAWS:${context.roleArn}".toString(),
                                     AWS_SECRET_ACCESS_KEY: "withAWS:${context.roleArn}".toString(),
                                     AWS_SESSION_TOKEN    : "withAWS:${context.roleArn}".toString()]
        if (context.region) {
            layer.AWS_DEFAULT_REGION = context.region
            layer.AWS_REGION = context.region
        }
        try {
            return env.withLayer(layer) { run(body) }
        } finally {
            awsContexts.pop()
        }
    }

    // Pipeline Utility Steps: reads the real file from the workspace.
    def readJSON(Map args) {
        if (args.text != null) return new JsonSlurper().parseText(args.text.toString())
        File file = new File(workspace, args.file.toString())
        if (!file.isFile()) throw new StepFailure("readJSON: ${args.file} does not exist")
        return new JsonSlurper().parse(file)
    }

    def input(Map args) {
        recorder.inputs << [stage: recorder.stage, message: args.message?.toString(), ok: args.ok?.toString(),
                            submitter: args.submitter?.toString(), submitterParameter: args.submitterParameter?.toString()]
        // inputResponse: one answer for every input, or {stage name: answer} (unnamed stages proceed)
        def response = request.inputResponse instanceof Map ? (request.inputResponse[recorder.stage] ?: 'proceed')
                                                             : request.inputResponse
        if (response == 'abort') throw new BuildAborted("input '${args.message}' was aborted")
        return null
    }

    def input(String message) { input(message: message) }

    def archiveArtifacts(String artifacts) { archiveArtifacts(artifacts: artifacts) }

    def archiveArtifacts(Map args) {
        recorder.archived << [stage: recorder.stage, section: recorder.section, artifacts: args.artifacts?.toString(),
                              allowEmptyArchive: args.allowEmptyArchive ?: false, fingerprint: args.fingerprint ?: false]
    }
}

/** Collects the named blocks of one level (pipeline sections, stage sections, post conditions) as written.
 *  Anything else fails: closures written inside these blocks have this collector in their owner chain, so a
 *  permissive collector would swallow a misspelt step or variable. */
class BlockCollector {
    final Map<String, Object> blocks = [:]
    final Set<String> known
    final Map params
    final EnvVars env

    BlockCollector(Set<String> known, Map params, EnvVars env) {
        this.known = known
        this.params = params
        this.env = env
    }

    def methodMissing(String name, Object args) {
        if (!(name in known)) throw new MissingMethodException(name, BlockCollector, args as Object[])
        Object[] arguments = args as Object[]
        blocks[name] = arguments.length == 1 ? arguments[0] : arguments.toList()
        return null
    }

    def propertyMissing(String name) {
        if (name in ['any', 'none']) return name  // `agent any`, `agent none`
        throw new MissingPropertyException(name, BlockCollector)
    }
}

/** parameters { }, options { }: each call is recorded with its arguments. */
class CallCollector {
    final List calls = []

    def methodMissing(String name, Object args) {
        Object[] arguments = args as Object[]
        // A nested call such as buildDiscarder(logRotator(...)) is an argument, not an option of its own.
        arguments.each { argument -> calls.removeAll { it.is(argument) } }
        Map call = [name: name, args: arguments.collect { plain(it) }]
        calls << call
        return call
    }

    static Object plain(Object value) {
        if (value instanceof Map) return value.collectEntries { k, v -> [(k.toString()): plain(v)] }
        if (value instanceof Collection) return value.collect { plain(it) }
        if (value instanceof GString) return value.toString()
        return value
    }
}

/** environment { NAME = value }: assignments in the order written, evaluated like Jenkins does. */
class EnvironmentCollector {
    final Map params
    final EnvVars env
    final Map<String, String> values = [:]

    EnvironmentCollector(Map params, EnvVars env) { this.params = params; this.env = env }

    def propertyMissing(String name, value) {
        values[name] = value?.toString()
        env."${name}" = value?.toString()  // later assignments may read earlier ones through env
    }

    def propertyMissing(String name) {
        throw new MissingPropertyException(name, EnvironmentCollector)
    }
}

/** when { }: evaluates the conditions the Jenkinsfile uses; all must hold. */
class WhenEvaluator {
    final Map params
    final EnvVars env

    WhenEvaluator(Map params, EnvVars env) { this.params = params; this.env = env }

    boolean allHold(Closure conditions) {
        List<Boolean> results = []
        WhenCollector collector = new WhenCollector(this, results)
        Closure body = conditions.rehydrate(collector, conditions.owner, conditions.thisObject)
        body.resolveStrategy = Closure.DELEGATE_FIRST
        body.call()
        return results.every { it }
    }
}

class WhenCollector {
    final WhenEvaluator evaluator
    final List<Boolean> results

    WhenCollector(WhenEvaluator evaluator, List<Boolean> results) { this.evaluator = evaluator; this.results = results }

    Map getParams() { evaluator.params }

    EnvVars getEnv() { evaluator.env }

    def expression(Closure condition) {
        Closure body = condition.rehydrate(this, condition.owner, condition.thisObject)
        body.resolveStrategy = Closure.DELEGATE_FIRST
        results << (body.call() as boolean)
    }

    def not(Closure inner) { results << !evaluator.allHold(inner) }

    def allOf(Closure inner) { results << evaluator.allHold(inner) }

    def anyOf(Closure inner) {
        List<Boolean> innerResults = []
        Closure body = inner.rehydrate(new WhenCollector(evaluator, innerResults), inner.owner, inner.thisObject)
        body.resolveStrategy = Closure.DELEGATE_FIRST
        body.call()
        results << innerResults.any { it }
    }

    def environment(Map args) { results << (evaluator.env."${args.name}" == args.value?.toString()) }
}

class PipelineRun {
    // The stage sections a recorded run carries out (the validator accepts every declarative one).
    static final Set<String> RUN_STAGE_SECTIONS = ['when', 'steps'] as Set
    static final List<String> POST_ORDER = ['always', 'changed', 'fixed', 'regression', 'aborted', 'failure',
                                            'success', 'unstable', 'unsuccessful', 'cleanup']

    final Map request
    final Recorder recorder = new Recorder()
    final EnvVars env = new EnvVars()
    Map params = [:]
    List parameterDefinitions = []
    List options = []
    Map environment = [:]
    String agent
    String result = 'SUCCESS'
    String failedStage
    String failureMessage

    final Binding binding

    PipelineRun(Map request, Binding binding) {
        this.request = request
        this.binding = binding
    }

    def execute(Closure pipeline) {
        BlockCollector sections = collect(pipeline, new BlockCollector(DeclarativeValidator.PIPELINE_SECTIONS, params, env))
        agent = sections.blocks.agent instanceof Closure ? 'custom' : sections.blocks.agent?.toString()
        if (sections.blocks.parameters) {
            parameterDefinitions = collect(sections.blocks.parameters as Closure, new CallCollector()).calls
        } else {
            // The job declares them (Jenkins Job Builder): the caller passes the job's definitions.
            parameterDefinitions = (request.parameters ?: []) as List
        }
        params = resolveParams(parameterDefinitions, request.params ?: [:])
        // What Jenkins sets for every build of a job.
        String jobName = request.jobName ?: 'mlops-sagemaker-platform-deploy'
        String buildNumber = (request.buildNumber ?: 1).toString()
        env.JOB_NAME = jobName
        env.BUILD_NUMBER = buildNumber
        env.BUILD_URL = "https://jenkins.example.com/job/${jobName}/${buildNumber}/".toString()
        env.WORKSPACE = request.workspace
        binding.setVariable('params', params)  // for helper functions defined outside pipeline { }
        // Jenkins exposes every build parameter as an environment variable too.
        params.each { name, value -> env."${name}" = value?.toString() }
        if (sections.blocks.options) options = collect(sections.blocks.options as Closure, new CallCollector()).calls
        if (sections.blocks.environment) {
            environment = collect(sections.blocks.environment as Closure, new EnvironmentCollector(params, env)).values
        }
        collect(sections.blocks.stages as Closure, new StagesCollector(this))
        if (sections.blocks.post) runPost(collect(sections.blocks.post as Closure,
                new BlockCollector(DeclarativeValidator.POST_CONDITIONS, params, env)).blocks)
    }

    private <T> T collect(Closure block, T collector) {
        Closure body = block.rehydrate(collector, block.owner, block.thisObject)
        body.resolveStrategy = Closure.DELEGATE_FIRST
        body.call()
        return collector
    }

    private static Map resolveParams(List definitions, Map given) {
        Map values = [:]
        definitions.each { Map definition ->
            Map args = definition.args[0] as Map
            if (definition.name == 'choice') {
                values[args.name] = (args.choices as List)[0]
            } else {
                values[args.name] = args.defaultValue
            }
        }
        given.each { name, value ->
            Map definition = definitions.find { (it.args[0] as Map).name == name } as Map
            if (definition == null) throw new IllegalArgumentException("unknown build parameter '${name}'")
            Map args = definition.args[0] as Map
            if (definition.name == 'choice' && !(value in (args.choices as List))) {
                throw new IllegalArgumentException("parameter '${name}': '${value}' is not one of ${args.choices}")
            }
            values[name] = (definition.name == 'string' && args.trim) ? value?.toString()?.trim() : value
        }
        return values.asImmutable()
    }

    void runStage(String name, Closure stageBody) {
        BlockCollector sections = collect(stageBody, new BlockCollector(DeclarativeValidator.STAGE_SECTIONS, params, env))
        Set<String> unsupported = sections.blocks.keySet() - RUN_STAGE_SECTIONS
        if (unsupported) {
            // Valid declarative, but a run that ignored them would record something Jenkins does not do.
            throw new IllegalArgumentException("stage '${name}': this harness runs only ${RUN_STAGE_SECTIONS.join(' and ')} " +
                    "in a stage; extend it to run ${unsupported.sort().join(', ')}")
        }
        Map stage = [name: name, when: null, status: null]
        recorder.stages << stage
        if (result != 'SUCCESS') {
            stage.status = 'skipped: earlier failure'
            return
        }
        recorder.stage = name
        recorder.section = 'steps'
        try {
            if (sections.blocks.when) {
                stage.when = new WhenEvaluator(params, env).allHold(sections.blocks.when as Closure)
                if (!stage.when) {
                    stage.status = 'skipped: when'
                    return
                }
            }
            newSteps().run(sections.blocks.steps as Closure)
            stage.status = 'success'
        } catch (MissingMethodException unknown) {
            throw new IllegalArgumentException("stage '${name}': unknown step or method '${unknown.method}'")
        } catch (StepFailure failure) {
            stage.status = 'failed'
            fail('FAILURE', name, failure.message)
        } catch (BuildAborted aborted) {
            stage.status = 'aborted'
            fail('ABORTED', name, aborted.message)
        } catch (RuntimeException groovyError) {
            // A Groovy error in a script { } block fails the build in Jenkins too.
            stage.status = 'failed'
            fail('FAILURE', name, "${groovyError.class.simpleName}: ${groovyError.message}".toString())
        }
    }

    private void fail(String newResult, String stage, String message) {
        result = newResult
        failedStage = stage
        failureMessage = message
    }

    private StepsDsl newSteps() { new StepsDsl(recorder, env, params, request) }

    private void runPost(Map<String, Object> conditions) {
        recorder.stage = null
        POST_ORDER.findAll { conditions.containsKey(it) && applies(it) }.each { String condition ->
            recorder.section = "post:${condition}".toString()
            recorder.post << condition
            try {
                newSteps().run(conditions[condition] as Closure)
            } catch (MissingMethodException unknown) {
                throw new IllegalArgumentException("post ${condition}: unknown step or method '${unknown.method}'")
            } catch (StepFailure failure) {
                result = 'FAILURE'
                failureMessage = failureMessage ?: failure.message
            }
        }
    }

    private boolean applies(String condition) {
        switch (condition) {
            case 'always': case 'cleanup': return true
            case 'success': return result == 'SUCCESS'
            case 'failure': return result == 'FAILURE'
            case 'aborted': return result == 'ABORTED'
            case 'unsuccessful': return result != 'SUCCESS'
            default: return false  // changed/fixed/regression/unstable need a previous build or test results
        }
    }

    Map report() {
        [valid     : true, errors: [], agent: agent, parameters: parameterDefinitions, params: params,
         options   : options, environment: environment, stages: recorder.stages, commands: recorder.commands,
         withAWS   : recorder.withAws, inputs: recorder.inputs, archived: recorder.archived, echoes: recorder.echoes,
         post      : recorder.post, result: result, failedStage: failedStage, failureMessage: failureMessage]
    }
}

class StagesCollector {
    final PipelineRun run

    StagesCollector(PipelineRun run) { this.run = run }

    def stage(String name, Closure body) { run.runStage(name, body) }
}

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

/** Validates and runs one request; [exit status, report]. */
List evaluate(Map request) {
    String source = new File(request.jenkinsfile as String).text
    List<String> errors = new DeclarativeValidator().validate(source)
    if (errors) return [1, [valid: false, errors: errors]]

    Binding binding = new Binding()
    PipelineRun run = new PipelineRun(request, binding)
    binding.setVariable('pipeline', { Closure body -> run.execute(body) })
    binding.setVariable('env', run.env)
    try {
        new GroovyShell(binding).parse(source, 'Jenkinsfile').run()
    } catch (IllegalArgumentException bad) {
        return [1, [valid: false, errors: [bad.message]]]
    }
    return [0, run.report()]
}

// `--serve`: one JSON request per line on stdin, one JSON report per line on stdout, so a test session pays
// for starting the JVM and compiling this file once.
if (args.length == 1 && args[0] == '--serve') {
    System.in.eachLine('UTF-8') { String line ->
        if (line.trim()) {
            def (status, report) = evaluate(new JsonSlurper().parseText(line) as Map)
            println JsonOutput.toJson(report + [exitStatus: status])
            System.out.flush()
        }
    }
} else if (args.length == 1) {
    def (status, report) = evaluate(new JsonSlurper().parse(new File(args[0])) as Map)
    println JsonOutput.prettyPrint(JsonOutput.toJson(report))
    System.exit(status as int)
} else {
    System.err.println('usage: groovy run_jenkinsfile.groovy REQUEST.json | --serve')
    System.exit(2)
}
