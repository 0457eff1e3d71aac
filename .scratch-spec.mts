import { validateSpec } from './src/spec/validate.ts';
import { parseSpecYaml } from './src/spec/load.ts';
import { exampleSpec } from './src/spec/example.ts';
import { serializeSpec } from './src/spec/serialize.ts';
const tryIt = (raw: unknown) => { try { console.log(JSON.stringify(validateSpec(raw)).slice(0,200)); } catch (e: any) { console.log(e.constructor.name, e.message); } };
tryIt({apiVersion:'k8s-bootstrap.io/v1alpha1', kind:'Cluster', name:'Demo_1', provider:{name:'aws'}, network:{podCIDR:'10.0.0.0/8', serviceCidr:'10.96.0.1/12', nodeCidr:'10.240.0.0/16'}, controlPlane:{count:2}, kubernetes:{version:'1.30.0 && curl x', cni:'flanel'}});
tryIt({apiVersion:'k8s-bootstrap.io/v1alpha1', kind:'Cluster', name:'demo', provider:{name:'static', hosts:[{address:'192.0.2.1', role:'worker'},{address:'192.0.2.1', role:'worker', name:'a; rm -rf /'}]}, network:{nodeCidr:'10.0.0.0/24'}, ssh:{user:'root;x'}});
for (const p of ['exoscale','openstack','aws','static'] as const) console.log(serializeSpec(exampleSpec(p)));
try { parseSpecYaml('a: &a [1]\nb: [*a,*a]\n---\nc: 1', 'x.yaml'); } catch (e: any) { console.log(e.message); }
try { parseSpecYaml('a: 1\na: 2\nb: [', 'x.yaml'); } catch (e: any) { console.log(e.message); }
try { parseSpecYaml('a: !!js/function x\n', 'x.yaml'); } catch (e: any) { console.log(e.message); }
try { parseSpecYaml('a: !custom x\n', 'x.yaml'); } catch (e: any) { console.log(e.message); }
const bomb = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n`;
try { parseSpecYaml(bomb, 'bomb.yaml'); } catch (e: any) { console.log(e.message); }
try { parseSpecYaml('['.repeat(100000), 'deep.yaml'); } catch (e: any) { console.log(e.constructor.name, e.message.slice(0,200)); }
