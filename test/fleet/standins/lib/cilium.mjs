export async function run(tool){ process.stdout.write(tool+' stub\n'); }
